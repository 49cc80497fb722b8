"""Exceptions of the import package.

Messages are translated when the exception is raised, so they follow the
active language (Spanish unless the request or command chose English).
"""


class ImportRejected(ValueError):
    """An uploaded file cannot be imported; nothing was changed.

    ``messages`` lists every reason found, each naming the file, the row or
    feature, the value and the fix.
    """

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


def reject(message: str) -> ImportRejected:
    """Return an :class:`ImportRejected` with one message, ready to raise."""
    return ImportRejected([message])
