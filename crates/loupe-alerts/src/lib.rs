//! # loupe-alerts
//!
//! Scheduled runs of saved searches, alert conditions and throttling, and the actions a
//! firing takes. Knows nothing of the store or of HTTP: the indexer hands it a searcher and a
//! clock (DESIGN §2), so the scheduler is tested without sleeping and without a server.
