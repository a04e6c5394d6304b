"""Buckets (videos, results, access logs), the DynamoDB job table and the slot table."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.settings import Settings
from vidpipe.contract.names import SlotTable, Table


def removal_policy(settings: Settings) -> cdk.RemovalPolicy:
    return cdk.RemovalPolicy.DESTROY if settings.removal_policy == "DESTROY" else cdk.RemovalPolicy.RETAIN


class Storage(Construct):
    """The video bucket (the pipeline's input), the results bucket, their access-log bucket and the job table.

    Results live in a separate bucket so that no write of the worker can ever trigger the pipeline, whatever
    suffix it writes. Both data buckets log access to the log bucket; the log bucket itself uses SSE-S3
    because S3 server access logging cannot deliver to an SSE-KMS bucket.
    """

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        policy = removal_policy(settings)
        self.bucket_key: kms.Key | None = None
        if settings.bucket_encryption == "KMS":
            self.bucket_key = kms.Key(
                self, "BucketKey", enable_key_rotation=True, removal_policy=policy,
                description="vidpipe: video and results buckets",
            )  # fmt: skip
        self.log_bucket = s3.Bucket(
            self, "AccessLogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(365),
                                              noncurrent_version_expiration=cdk.Duration.days(30))],
            removal_policy=policy,
        )  # fmt: skip
        self.video_bucket = self._data_bucket("VideoBucket", "video-bucket/", policy)
        self.results_bucket = self._data_bucket("ResultsBucket", "results-bucket/", policy)

        self.table_key: kms.Key | None = None
        if settings.table_encryption == "CUSTOMER_MANAGED":
            self.table_key = kms.Key(
                self, "TableKey", enable_key_rotation=True, removal_policy=policy,
                description="vidpipe: job table",
            )  # fmt: skip
        # A classic AWS::DynamoDB::Table (not TableV2's GlobalTable): the local runtime recreates it on moto
        # from the synthesized template, and a plain table maps one to one onto CreateTable.
        self.table = dynamodb.Table(
            self, "JobTable",
            partition_key=dynamodb.Attribute(name=Table.PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            encryption=(dynamodb.TableEncryption.CUSTOMER_MANAGED if self.table_key
                        else dynamodb.TableEncryption.AWS_MANAGED),
            encryption_key=self.table_key,
            deletion_protection=settings.removal_policy == "RETAIN",
            removal_policy=policy,
        )  # fmt: skip
        self.table.add_global_secondary_index(
            index_name=Table.STATUS_INDEX,
            partition_key=dynamodb.Attribute(name="status", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=Table.STATUS_INDEX_SORT, type=dynamodb.AttributeType.STRING),
        )
        self.table.add_global_secondary_index(
            index_name=Table.OBJECT_INDEX,
            partition_key=dynamodb.Attribute(
                name=Table.OBJECT_INDEX_PARTITION, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(name=Table.OBJECT_INDEX_SORT, type=dynamodb.AttributeType.STRING),
        )

        # The analysis slot pool (tasks/slots.py): a counter, one item per holder or waiter and the waiting list,
        # each under 1 KB, so no write grows with the cap. Its items are transient: the reconciler rebuilds
        # nothing from backups, but point-in-time recovery costs little and keeps the tables alike.
        self.slot_table = dynamodb.Table(
            self, "SlotTable",
            partition_key=dynamodb.Attribute(name=SlotTable.PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SlotTable.SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            encryption=(dynamodb.TableEncryption.CUSTOMER_MANAGED if self.table_key
                        else dynamodb.TableEncryption.AWS_MANAGED),
            encryption_key=self.table_key,
            removal_policy=cdk.RemovalPolicy.DESTROY,  # state of running executions only: nothing to keep
        )  # fmt: skip

    def _data_bucket(self, construct_id: str, log_prefix: str, policy: cdk.RemovalPolicy) -> s3.Bucket:
        kms_kwargs = (
            {
                "encryption": s3.BucketEncryption.KMS,
                "encryption_key": self.bucket_key,
                "bucket_key_enabled": True,
            }
            if self.bucket_key
            else {"encryption": s3.BucketEncryption.S3_MANAGED}
        )
        return s3.Bucket(
            self, construct_id,
            **kms_kwargs,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix=log_prefix,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(30),
                                              abort_incomplete_multipart_upload_after=cdk.Duration.days(7))],
            removal_policy=policy,
        )  # fmt: skip
