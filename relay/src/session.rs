//! Session tokens and the [`CurrentUser`] extractor that authorises requests.
//!
//! A token is 32 random bytes shown to the client once; the database keeps
//! only its SHA-256, so a leaked database cannot be replayed as sessions.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chorus_shared::api::User;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::AppState;

/// A fresh random token, URL-safe.
pub fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(&e))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database stores for a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The signed-in user of a request, from `Authorization: Bearer <token>`.
pub struct CurrentUser {
    /// The user.
    pub user: User,
    /// Hash of the presented token (for sign-out).
    pub token_hash: Vec<u8>,
}

/// Reads the bearer token from request headers.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or_else(ApiError::unauthenticated)?;
        let token_hash = token_hash(token);
        let user = state
            .store
            .session_user(&token_hash, chrono::Utc::now())
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        Ok(Self { user, token_hash })
    }
}
