#!/usr/bin/python3
"""A GTK 4 app for the compatibility matrix: one window with a text entry;
on Enter with the text argv[2] it writes it to the file named by argv[1] and
quits; other text is cleared (keys typed before it had focus may be lost, and
the test types again)."""
import sys

import gi

gi.require_version("Gtk", "4.0")
from gi.repository import Gtk  # noqa: E402

out, want = sys.argv[1], sys.argv[2]


def on_activate(app):
    window = Gtk.ApplicationWindow(application=app, title="personas-compat-gtk4")
    entry = Gtk.Entry()

    def done(widget):
        if widget.get_text() != want:
            widget.set_text("")
            return
        with open(out, "w") as f:
            f.write(widget.get_text())
        app.quit()

    entry.connect("activate", done)
    window.set_child(entry)
    window.present()
    entry.grab_focus()


app = Gtk.Application(application_id="org.personas.CompatGtk4")
app.connect("activate", on_activate)
sys.exit(app.run([sys.argv[0]]))
