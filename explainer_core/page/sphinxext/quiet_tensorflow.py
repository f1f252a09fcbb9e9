"""Keep TensorFlow quiet in the executed chapters.

Their kernels inherit the build's environment, and TensorFlow's start-up log lines
(oneDNN notice, CPU features) would land in a cell's stderr, which the book's config
turns into a build error.
"""

from __future__ import annotations

import os
from typing import Any

from sphinx.application import Sphinx

#: Set for the notebook kernels (unless already set): no TensorFlow logs below ERROR, and
#: no oneDNN notice; the default Eigen CPU kernels also make results repeatable run to run.
QUIET_TENSORFLOW = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def setup(app: Sphinx) -> dict[str, Any]:
    for name, value in QUIET_TENSORFLOW.items():
        os.environ.setdefault(name, value)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
