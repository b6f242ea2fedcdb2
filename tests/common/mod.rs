pub mod client;
pub mod fixture;
