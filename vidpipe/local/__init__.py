"""Local runtime support: moto patches, Step Functions Local-style mocks and helpers (no imports here)."""
