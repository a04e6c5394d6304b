"""Offline speech synthesis with the espeak-ng library bundled in the ``espeakng-loader`` wheel.

The wheel ships ``libespeak-ng.so`` and its voice data; we drive the C API through ctypes in
retrieval mode (the library hands us PCM chunks through a callback instead of playing them).
"""

from __future__ import annotations

import ctypes
import threading
from functools import cache

import numpy as np

_AUDIO_OUTPUT_RETRIEVAL = 1
_POS_CHARACTER = 1
_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
_lock = threading.Lock()  # the espeak-ng engine is a process-wide singleton


@cache
def _engine() -> tuple[ctypes.CDLL, int]:
    import espeakng_loader

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_RETRIEVAL, 0, espeakng_loader.get_data_path().encode(), 0)
    if rate <= 0:
        raise RuntimeError("espeak-ng failed to initialise")
    if lib.espeak_SetVoiceByName(b"en") != 0:
        raise RuntimeError("espeak-ng has no 'en' voice")
    return lib, rate


def synthesize(text: str) -> tuple[np.ndarray, int]:
    """Speak ``text``; returns (float32 mono samples in [-1, 1], sample rate)."""
    lib, rate = _engine()
    chunks: list[np.ndarray] = []

    def collect(wav: ctypes._Pointer, count: int, _events: int) -> int:
        if wav and count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    callback = _SynthCallback(collect)
    data = text.encode() + b"\0"
    with _lock:
        lib.espeak_SetSynthCallback(callback)
        if lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, 0, None, None) != 0:
            raise RuntimeError(f"espeak-ng could not synthesize {text!r}")
        lib.espeak_Synchronize()
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return samples.astype(np.float32) / 32768.0, rate


def voiced_extent(samples: np.ndarray, rate: int, level: float = 0.02) -> tuple[float, float]:
    """Start and end (seconds) of the audible part: espeak pads its output with silence."""
    loud = np.flatnonzero(np.abs(samples) > level)
    if loud.size == 0:
        return 0.0, 0.0
    return float(loud[0]) / rate, float(loud[-1] + 1) / rate
