"""The one error type the CLI turns into a one-line message and a non-zero exit."""


class VgxError(Exception):
    """A problem the user can act on: bad input, missing file, unknown name.

    The message is one line that names the problem and, where possible, what to do.
    """

    exit_code = 2
