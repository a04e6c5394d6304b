"""vidpipe's video-analysis worker: one video in, one validated results document out.

Entry points: ``python -m worker`` (the container), ``worker.api.analyze_file`` (local files) and
``worker.api.run_job_from_env``. Analyzers plug in through ``worker.analyzers.Analyzer``.
"""
