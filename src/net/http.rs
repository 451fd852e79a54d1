//! HTTP plumbing shared by the clients (owned by the network work; placeholder).
