"""Generate test and demo clips with known content (cuts, captions, faces, speech) and unusual inputs.

Everything is made offline from bundled material: scikit-image sample pictures, Pillow's default font,
espeak-ng from the ``espeakng-loader`` wheel, and the encoders inside the PyAV wheel.
"""

from __future__ import annotations

from vidpipe.clipgen.clip import Manifest, Utterance, make_clip
from vidpipe.clipgen.demo import REFERENCE_SHOTS, REFERENCE_SPEECH, make_demo_clip, make_reference_clip
from vidpipe.clipgen.encode import Encoding
from vidpipe.clipgen.scenes import Shot

__all__ = [
    "REFERENCE_SHOTS",
    "REFERENCE_SPEECH",
    "Encoding",
    "Manifest",
    "Shot",
    "Utterance",
    "make_clip",
    "make_demo_clip",
    "make_reference_clip",
]
