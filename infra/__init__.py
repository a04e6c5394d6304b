"""The vidpipe CDK app: one stack with the S3 -> SQS -> Pipe -> Step Functions -> ECS Fargate pipeline.

Importing this package silences jsii's Node end-of-life banner (printed on every synth with Node 20, which
this project's machines run); it must be set before the jsii runtime starts, i.e. before ``aws_cdk`` loads.
"""

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
