//! What the unit tests of the crates over the store share: DynamoDB's
//! answers, as the SDK hands them over, for mocked clients.

use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_lambda::types::error::CallbackTimeoutException;
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_types::error::ErrorMetadata;
use hitl_contract::ApprovalRecord;

/// GetItem answering `record`.
pub fn get_item(record: &ApprovalRecord) -> Rule {
    let item = record.to_item();
    mock!(aws_sdk_dynamodb::Client::get_item).then_output(move || {
        GetItemOutput::builder()
            .set_item(Some(item.clone()))
            .build()
    })
}

/// An UpdateItem that took, answering with the `record` it wrote
/// (`ReturnValues=ALL_NEW`).
pub fn update_item(record: &ApprovalRecord) -> Rule {
    let item = record.to_item();
    mock!(aws_sdk_dynamodb::Client::update_item).then_output(move || {
        UpdateItemOutput::builder()
            .set_attributes(Some(item.clone()))
            .build()
    })
}

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
pub fn condition_check_failed_on(record: &ApprovalRecord) -> ConditionalCheckFailedException {
    ConditionalCheckFailedException::builder()
        .set_item(Some(record.to_item()))
        .meta(
            ErrorMetadata::builder()
                .code("ConditionalCheckFailedException")
                .build(),
        )
        .build()
}

/// Lambda's answer to a callback call (success, failure or heartbeat) once
/// the callback is no longer open, as AWS gives it.
pub fn callback_timeout_exception(message: &str) -> CallbackTimeoutException {
    CallbackTimeoutException::builder()
        .message(message)
        .meta(
            ErrorMetadata::builder()
                .code("CallbackTimeoutException")
                .build(),
        )
        .build()
}
