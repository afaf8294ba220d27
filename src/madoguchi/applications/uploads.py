"""The attachment size limit, enforced while the request body streams in.

Django reads a multipart body through its upload handlers (settings.FILE_UPLOAD_HANDLERS); this
one runs first. It counts each file's bytes as they arrive and, past
`MADOGUCHI_ATTACHMENT_MAX_BYTES` (or when the whole body is over
`MADOGUCHI_UPLOAD_MAX_REQUEST_BYTES`), passes nothing more on to the memory or temporary-file
handlers behind it, so a 300 MB upload never costs more than the limit on disk and a chunk in
memory. The file then arrives as an `OversizedUpload`, which the form engine refuses with the
plain 「ファイルが大きすぎます」 at its field while every other field of the POST is read as usual
(raising StopUpload would drop the text the resident typed). The proxy in front must cap the
body too (docs/operations.md): this handler still has to read what is sent.
"""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(UploadedFile):
    """Stands for a file that was over the limit: its name and the bytes counted, no content."""

    too_large = True

    def __init__(self, name: str, content_type: str, size: int, charset=None):
        from io import BytesIO

        super().__init__(BytesIO(), name, content_type, size, charset)


class AttachmentLimitHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.body_too_large = content_length > settings.MADOGUCHI_UPLOAD_MAX_REQUEST_BYTES
        return None  # parse as usual

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.too_large = getattr(self, "body_too_large", False)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.MADOGUCHI_ATTACHMENT_MAX_BYTES:
            self.too_large = True
        return None if self.too_large else raw_data

    def file_complete(self, file_size):
        if self.too_large:
            return OversizedUpload(self.file_name, self.content_type, self.received, self.charset)
        return None  # the memory or temporary-file handler delivers the file
