//! The OpenAPI document: what the route annotations say, completed with the
//! answers every operation of a kind can give, so that a client generated
//! from it expects exactly what the relay sends.
//!
//! The annotations list what is particular to each operation (a 409 for a
//! closed invite); the extractors add answers no annotation repeats: a
//! secured operation can answer 401, one with a path id 404, one with a JSON
//! body 400, 413, 415 and 422, one with a query string 400 and 422.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};

/// The document's fixed parts; routers add their paths.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Chorus relay API", description = "Accounts, organizations, the message queue, files and credits of a Chorus relay."),
    modifiers(&BearerAuth),
    components(schemas(chorus_shared::error::ErrorBody))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "admin",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The relay operator's admin token"))
                    .build(),
            ),
        );
    }
}

/// Adds to every operation the answers its kind can give (see the module
/// documentation); answers an annotation already lists are kept as written.
pub fn complete(document: &mut OpenApi) {
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, description) in common_answers(operation) {
                add_error(operation, status, description);
            }
        }
    }
}

/// The statuses an operation's shape implies, with why.
fn common_answers(operation: &Operation) -> Vec<(&'static str, &'static str)> {
    let mut answers = Vec::new();
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        answers.push(("401", "missing, expired or signed-out session"));
    }
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    if parameters
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path))
    {
        answers.push(("404", "nothing visible to you has that id"));
    }
    if parameters
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query))
    {
        answers.push(("400", "the query string is not valid"));
        answers.push(("422", "a parameter is not acceptable; see `fields`"));
    }
    if let Some(body) = &operation.request_body {
        answers.push(("400", "the body could not be read"));
        answers.push(("413", "the body is larger than the relay accepts"));
        if body.content.contains_key("application/json") {
            answers.push(("415", "the body must be JSON"));
            answers.push((
                "422",
                "the body does not have the expected fields, or a field is not acceptable",
            ));
        }
    }
    answers
}

fn add_error(operation: &mut Operation, status: &str, description: &str) {
    let responses = &mut operation.responses.responses;
    if responses.contains_key(status) {
        return;
    }
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build();
    responses.insert(status.to_owned(), response.into());
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn operations_list_what_their_shape_can_answer() {
        let state_free = crate::http::api_doc::ApiDoc::openapi();
        assert!(state_free.paths.paths.is_empty(), "routers add the paths");
        let mut document = crate::documented();
        super::complete(&mut document);
        let signup = document.paths.paths["/api/v1/auth/signup"]
            .post
            .as_ref()
            .expect("sign-up");
        let statuses: Vec<&str> = signup
            .responses
            .responses
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(statuses, ["201", "400", "409", "413", "415", "422", "429"]);
        let chat = document.paths.paths["/api/v1/chats/{chat_id}"]
            .get
            .as_ref()
            .expect("chat");
        assert!(chat.responses.responses.contains_key("401"));
        assert!(chat.responses.responses.contains_key("404"));
    }
}
