#!/usr/bin/python3
"""A Qt 6 app for the compatibility matrix: one window with a line edit; on
Enter it writes the text to the file named by argv[1] and quits."""
import sys

from PyQt6.QtWidgets import QApplication, QLineEdit

out = sys.argv[1]
app = QApplication([sys.argv[0]])
app.setDesktopFileName("org.personas.CompatQt6")
edit = QLineEdit()
edit.setWindowTitle("personas-compat-qt6")


def done():
    with open(out, "w") as f:
        f.write(edit.text())
    app.quit()


edit.returnPressed.connect(done)
edit.show()
edit.setFocus()
sys.exit(app.exec())
