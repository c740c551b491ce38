"""vgx: image-generation models from PyTorch training to real-time inference.

Nothing heavy is imported here: `vgx --help` must answer in well under a second.
"""

__version__ = "0.1.0"
