//! OAuth 1.0a signing via oauth1-request (placeholder).
