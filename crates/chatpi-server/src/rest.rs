//! REST: `GET /api/v1/chats`, `GET /api/v1/chats/{id}/messages` and
//! `POST /api/v1/chats`, authenticated by a bearer token.

use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, Path, Query, State},
    http::{header, request::Parts, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{channel::HistoryQuery, server::Shared};

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/chats", get(list_chats).post(create_chat))
        .route("/chats/{id}/messages", get(messages))
}

/// A REST failure: a status and a one-line reason as `{"error": ...}`.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn internal(e: crate::Error) -> ApiError {
    tracing::error!(error = %e, "request failed");
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
}

/// The caller's auth key, from a verified bearer token.
pub struct Caller(String);

impl FromRequestParts<Arc<Shared>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, ApiError> {
        let unauthorized = |why: &str| ApiError(StatusCode::UNAUTHORIZED, why.to_owned());
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unauthorized("missing bearer token"))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| unauthorized("authorization is not a bearer token"))?;
        let key = shared
            .secret
            .verify(token.trim())
            .map_err(|_| unauthorized("token rejected"))?;
        let k = key.clone();
        shared
            .store
            .call(move |s| s.ensure_user(&k))
            .await
            .map_err(internal)?;
        Ok(Caller(key))
    }
}

async fn list_chats(
    State(shared): State<Arc<Shared>>,
    Caller(key): Caller,
) -> Result<Json<Value>, ApiError> {
    let (chats, detail) = shared
        .store
        .call(move |s| s.chats_of(&key))
        .await
        .map_err(internal)?;
    Ok(Json(json!({ "chats": chats, "detail": detail })))
}

async fn messages(
    State(shared): State<Arc<Shared>>,
    Caller(key): Caller,
    Path(chat_id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<Value>, ApiError> {
    let (after, before) = query.bounds().map_err(|bad| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("malformed timestamp {bad:?}"),
        )
    })?;
    let result = shared
        .store
        .call(move |s| {
            if chat_id != "lobby" && !s.is_member(&chat_id, &key)? {
                return Ok((Vec::new(), Vec::new()));
            }
            s.history(&chat_id, after.as_deref(), before.as_deref())
        })
        .await
        .map_err(internal)?;
    Ok(Json(json!({ "messages": result.0, "reactions": result.1 })))
}

#[derive(Deserialize)]
struct NewChat {
    name: String,
    #[serde(default)]
    users: Vec<UserRef>,
}

/// A member given by auth key, or as a user object.
#[derive(Deserialize)]
#[serde(untagged)]
enum UserRef {
    Key(String),
    User { auth_key: String },
}

async fn create_chat(
    State(shared): State<Arc<Shared>>,
    Caller(key): Caller,
    body: Result<Json<NewChat>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(new) = body.map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.body_text()))?;
    let mut members = vec![key];
    for user in new.users {
        let k = match user {
            UserRef::Key(k) | UserRef::User { auth_key: k } => k,
        };
        if !members.contains(&k) {
            members.push(k);
        }
    }
    let chat = shared
        .store
        .call(move |s| s.create_chat(&new.name, &members))
        .await
        .map_err(|e| match e {
            crate::Error::NoSuchUser(k) => ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("no such user: {k}"),
            ),
            other => internal(other),
        })?;
    Ok((StatusCode::CREATED, Json(json!(chat))))
}
