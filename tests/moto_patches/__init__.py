"""Tests of vidpipe.local.moto_patches and sfn_mocks (one per patched moto defect)."""
