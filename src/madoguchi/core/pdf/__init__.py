"""PDF documents residents receive: the 受付票 (receipt) and 決定通知書 (decision notice).

The Japanese font is embedded (see ``fonts``) so documents print identically
anywhere, and characters the font lacks are replaced visibly, never dropped.
"""

from .common import Letterhead
from .fonts import register_japanese_font
from .notice import NoticeData, render_notice
from .receipt import ReceiptData, render_receipt

__all__ = [
    "Letterhead",
    "NoticeData",
    "ReceiptData",
    "register_japanese_font",
    "render_notice",
    "render_receipt",
]
