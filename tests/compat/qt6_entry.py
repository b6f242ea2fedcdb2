#!/usr/bin/python3
"""A Qt 6 app for the compatibility matrix: one window with a line edit; on
Enter with the text argv[2] it writes it to the file named by argv[1] and
quits; other text is cleared (keys typed before it had focus may be lost, and
the test types again)."""
import sys

from PyQt6.QtWidgets import QApplication, QLineEdit

out, want = sys.argv[1], sys.argv[2]
app = QApplication([sys.argv[0]])
app.setDesktopFileName("org.personas.CompatQt6")
edit = QLineEdit()
edit.setWindowTitle("personas-compat-qt6")


def done():
    if edit.text() != want:
        edit.clear()
        return
    with open(out, "w") as f:
        f.write(edit.text())
    app.quit()


edit.returnPressed.connect(done)
edit.show()
edit.setFocus()
sys.exit(app.exec())
