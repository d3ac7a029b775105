//! What the unit tests of the crates over the store share: DynamoDB's
//! answers, as the SDK hands them over, for mocked clients.

use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_smithy_types::error::ErrorMetadata;

/// DynamoDB's answer to a write whose condition did not hold, with the
/// error code the store recognises it by.
pub fn condition_check_failed() -> ConditionalCheckFailedException {
    ConditionalCheckFailedException::builder()
        .meta(
            ErrorMetadata::builder()
                .code("ConditionalCheckFailedException")
                .build(),
        )
        .build()
}

/// The same answer to a write that asked for the record it lost to
/// (`ReturnValuesOnConditionCheckFailure=ALL_OLD`), as AWS gives it.
pub fn condition_check_failed_on(
    record: &hitl_contract::ApprovalRecord,
) -> ConditionalCheckFailedException {
    ConditionalCheckFailedException::builder()
        .set_item(Some(record.to_item()))
        .meta(
            ErrorMetadata::builder()
                .code("ConditionalCheckFailedException")
                .build(),
        )
        .build()
}
