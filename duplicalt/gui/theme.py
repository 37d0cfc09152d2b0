"""The dark look: Fusion style, a dark palette and a small stylesheet.

Sizes are in points or layout units, never fixed pixels for text, so the
window stays readable at 100 % and 200 % scaling.
"""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BG = "#1b1d21"  # window
PANEL = "#23262b"  # lists, cards
RAISED = "#2d3137"  # buttons
BORDER = "#3a3f47"
TEXT = "#e8eaed"
MUTED = "#9aa0a6"
ACCENT = "#5b9dff"  # selection, current photo
KEEP = "#4cc38a"
REMOVE = "#ff6b6b"
DIFF = "#ffc857"  # a value that differs from the other photo's

STYLESHEET = f"""
QWidget {{ color: {TEXT}; }}
QMainWindow, QDialog {{ background: {BG}; }}
QToolTip {{ color: {TEXT}; background: {RAISED}; border: 1px solid {BORDER}; }}
QPushButton {{
    background: {RAISED}; border: 1px solid {BORDER}; border-radius: 4px;
    padding: 0.35em 0.9em; min-height: 1.4em;
}}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:pressed {{ background: {PANEL}; }}
QPushButton:disabled {{ color: {MUTED}; border-color: {PANEL}; }}
QPushButton#primary {{ background: {ACCENT}; color: #0b1220; border-color: {ACCENT};
    font-weight: 600; }}
QPushButton#primary:disabled {{ background: {RAISED}; color: {MUTED}; border-color: {BORDER}; }}
QPushButton#keep:checked {{ background: {KEEP}; color: #08140e; border-color: {KEEP}; }}
QPushButton#remove:checked {{ background: {REMOVE}; color: #1a0808; border-color: {REMOVE}; }}
QTableView, QListWidget, QTreeWidget {{
    background: {PANEL}; border: 1px solid {BORDER}; border-radius: 4px;
    alternate-background-color: #262a30; selection-background-color: #2f4f7f;
    selection-color: {TEXT}; outline: 0;
}}
QHeaderView::section {{
    background: {BG}; color: {MUTED}; border: none; border-bottom: 1px solid {BORDER};
    padding: 0.3em 0.5em;
}}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ background: transparent; color: {MUTED}; padding: 0.4em 0.9em;
    border-bottom: 2px solid transparent; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom-color: {ACCENT}; }}
QProgressBar {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 4px;
    text-align: center; min-height: 1.2em; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: {TEXT}; width: 14px; height: 14px;
    margin: -5px 0; border-radius: 7px; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#title {{ font-size: 13pt; font-weight: 600; }}
QLabel#hero {{ font-size: 16pt; font-weight: 600; }}
QFrame#card {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6px; }}
QFrame#card[current="true"] {{ border: 2px solid {ACCENT}; }}
QLabel#badge {{ border-radius: 3px; padding: 0.1em 0.5em; font-weight: 600; }}
QStatusBar {{ color: {MUTED}; }}
QSplitter::handle {{ background: {BG}; }}
QCheckBox::indicator, QRadioButton::indicator {{ width: 12px; height: 12px;
    border: 1px solid {MUTED}; background: {PANEL}; border-radius: 3px; }}
QRadioButton::indicator {{ border-radius: 7px; }}
QCheckBox::indicator:checked, QRadioButton::indicator:checked {{
    background: {ACCENT}; border: 3px solid {PANEL}; outline: none; }}
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
QMessageBox {{ border: 1px solid {BORDER}; }}
QLineEdit {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 4px;
    padding: 0.25em 0.4em; }}
QMenuBar {{ background: {BG}; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: {RAISED}; }}
QMenu {{ background: {PANEL}; border: 1px solid {BORDER}; }}
"""


def palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.Window: BG, QPalette.WindowText: TEXT, QPalette.Base: PANEL,
        QPalette.AlternateBase: "#262a30", QPalette.ToolTipBase: RAISED,
        QPalette.ToolTipText: TEXT, QPalette.Text: TEXT, QPalette.Button: RAISED,
        QPalette.ButtonText: TEXT, QPalette.BrightText: REMOVE, QPalette.Link: ACCENT,
        QPalette.Highlight: "#2f4f7f", QPalette.HighlightedText: TEXT,
        QPalette.PlaceholderText: MUTED,
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor(MUTED))
    return p


def apply(app: QApplication) -> None:
    """Fusion + the dark palette + the stylesheet, for the whole application."""
    app.setStyle("Fusion")
    app.setPalette(palette())
    app.setStyleSheet(STYLESHEET)
