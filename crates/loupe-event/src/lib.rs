//! # loupe-event
//!
//! The vocabulary every other Loupe crate speaks: an [`Event`] is one log record
//! with its metadata, a [`Value`] is what a field holds.
//!
//! ```
//! use loupe_event::{Event, Value};
//! let ev = Event { raw: "hello".into(), host: "web-1".into(), ..Default::default() };
//! assert_eq!(ev.host, "web-1");
//! assert_eq!(Value::Str("42".into()).as_f64(), Some(42.0));
//! ```

pub mod event;
pub mod linebreak;
pub mod reltime;
pub mod sourcetype;
pub mod timestamp;
pub mod value;

pub use event::{Event, EventFlags};
pub use linebreak::{EventBreaker, LineBreaking, RawEvent};
pub use sourcetype::Sourcetype;
pub use timestamp::{Anchor, TimeContext, TimeFormat, TimestampRecognizer, TimestampRule};
pub use value::Value;
