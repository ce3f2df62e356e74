//! Request extractors whose rejections are [`ApiError`]s, so malformed input
//! gets the same error body as every other failure.

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use chorus_shared::error::ErrorCode;
use chorus_shared::limits::JSON_BODY_MAX_BYTES;
use chorus_shared::text;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body; the type's serde rules (including `deny_unknown_fields`) apply.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(json_rejection(JsonRejection::MissingJsonContentType(
                Default::default(),
            )));
        }
        let bytes = match Bytes::from_request(request, state).await {
            Ok(bytes) => bytes,
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(payload_too_large())
            }
            Err(error) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::MalformedJson,
                    format!("The body could not be read ({}).", error.body_text()),
                ))
            }
        };
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if let Some((field, c)) = forbidden_in_json(text) {
                return Err(ApiError::invalid_field(&field, text::forbidden_problem(c)));
            }
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// `Content-Type: application/json`, or another `+json` type.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The first string (or key) in a JSON document holding a character that
/// cannot be stored, with its path (`contacts[2].name`); `None` for clean or
/// unparsable documents (the typed parse reports those).
///
/// Cheap for the usual body: a forbidden character can only arrive as a
/// `\u` escape or as a raw C1 or noncharacter, so the tree is walked only
/// when the text has one of those.
pub fn forbidden_in_json(document: &str) -> Option<(String, char)> {
    if !document.contains("\\u") && text::first_forbidden(document).is_none() {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(document).ok()?;
    let mut path = String::new();
    forbidden_in_value(&value, &mut path).map(|c| (path, c))
}

fn forbidden_in_value(value: &serde_json::Value, path: &mut String) -> Option<char> {
    use serde_json::Value;
    match value {
        Value::String(string) => text::first_forbidden(string),
        Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            let length = path.len();
            path.push_str(&format!("[{index}]"));
            let found = forbidden_in_value(item, path);
            if found.is_none() {
                path.truncate(length);
            }
            found
        }),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let length = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&text::clean_name(key));
            let found = text::first_forbidden(key).or_else(|| forbidden_in_value(item, path));
            if found.is_none() {
                path.truncate(length);
            }
            found
        }),
        _ => None,
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonSyntaxError(error) => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            format!(
                "The body is not valid JSON ({}). Send a JSON object.",
                error.body_text()
            ),
        ),
        JsonRejection::JsonDataError(error) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBody,
            format!(
                "The JSON body does not have the expected fields ({}). See /api/v1/openapi.json.",
                error.body_text()
            ),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "Send the body as JSON with the header Content-Type: application/json.",
        ),
        JsonRejection::BytesRejection(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            payload_too_large()
        }
        other => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            format!("The body could not be read ({}).", other.body_text()),
        ),
    }
}

/// The answer for any request body over the relay's JSON limit.
pub fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!(
            "The request body is larger than the relay accepts here ({} KiB; {} MiB for bulk \
             contact changes). Send less.",
            JSON_BODY_MAX_BYTES / 1024,
            chorus_shared::limits::BULK_BODY_MAX_BYTES / (1024 * 1024)
        ),
    )
}

/// Path parameters. An id that does not parse names nothing, so it is a 404.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => {
                Err(ApiError::not_found("record"))
            }
            Err(other) => Err(ApiError::internal(&other.body_text())),
        }
    }
}

/// Query-string parameters; a malformed one is a 400 naming the problem.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Ok(axum::extract::Query(pairs)) =
            axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state).await
        {
            for (name, value) in &pairs {
                if let Some(c) = text::first_forbidden(name).or(text::first_forbidden(value)) {
                    return Err(ApiError::invalid_field(
                        &text::clean_name(name),
                        text::forbidden_problem(c),
                    ));
                }
            }
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidBody,
                format!("The query string is not valid ({}).", rejection.body_text()),
            )),
        }
    }
}

/// `?organization_id=…`: the profile a request is about ("You" without it).
/// [`crate::http::caller::InProfile`] resolves it; handlers also take this type so
/// the query is checked (no unknown fields) and documented.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProfileQuery {
    /// The organization profile; leave out for "You".
    pub organization_id: Option<uuid::Uuid>,
}

#[cfg(test)]
mod tests {
    use super::forbidden_in_json;

    #[test]
    fn clean_documents_pass_without_a_walk() {
        assert_eq!(
            forbidden_in_json(r#"{"text":"hello\nthere","n":[1,2]}"#),
            None
        );
        assert_eq!(forbidden_in_json(r#"{"text":"caf\u00e9"}"#), None);
    }

    #[test]
    fn the_path_names_the_field_holding_the_character() {
        assert_eq!(
            forbidden_in_json(r#"{"email":"a\u0000@example.com"}"#),
            Some(("email".into(), '\0'))
        );
        assert_eq!(
            forbidden_in_json(r#"{"contacts":[{"name":"ok"},{"name":"b\u001b[31m"}]}"#),
            Some(("contacts[1].name".into(), '\u{1b}'))
        );
        assert_eq!(
            forbidden_in_json("{\"text\":\"raw \u{85} next line\"}"),
            Some(("text".into(), '\u{85}'))
        );
        assert_eq!(
            forbidden_in_json(r#"{"attributes":{"k\u0000":"v"}}"#),
            Some(("attributes.k".into(), '\0'))
        );
    }
}
