//! AWS SDK errors as one readable line. The SDK's `Display` says little
//! ("service error") and `DisplayErrorContext` prints the whole response;
//! users need the service's error code and message, or why no answer came.

use std::error::Error;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// `Code: message` for an answer from the service; otherwise what kept the
/// request from getting one.
pub fn summary<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            match (inner.code(), inner.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                _ => innermost(inner),
            }
        }
        SdkError::DispatchFailure(_) => format!("no connection ({})", innermost(err)),
        SdkError::TimeoutError(_) => "no answer in time".to_owned(),
        _ => innermost(err),
    }
}

/// The deepest cause: the one that says what actually happened.
fn innermost(err: &(dyn Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_sdk_dynamodb::types::error::ResourceNotFoundException;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_types::body::SdkBody;

    #[test]
    fn a_service_error_is_its_code_and_message() {
        let err: SdkError<GetItemError, HttpResponse> = SdkError::service_error(
            GetItemError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Requested resource not found")
                    .meta(
                        aws_smithy_types::error::ErrorMetadata::builder()
                            .code("ResourceNotFoundException")
                            .message("Requested resource not found")
                            .build(),
                    )
                    .build(),
            ),
            HttpResponse::new(400u16.try_into().unwrap(), SdkBody::empty()),
        );
        assert_eq!(
            summary(&err),
            "ResourceNotFoundException: Requested resource not found"
        );
    }

    #[test]
    fn no_connection_says_why() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let err: SdkError<GetItemError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(io)));
        assert_eq!(summary(&err), "no connection (Connection refused)");
    }
}
