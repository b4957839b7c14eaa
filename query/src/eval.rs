//! Evaluation of eval expressions over one row (work in progress).

use crate::ast::{Expr, Pipeline};
use loupe_event::Value;

/// Read access to a row's fields, so the evaluator works over any row representation.
pub trait RowAccess {
    /// The field's value, `None` when the row has no such field (SPL null).
    fn get(&self, name: &str) -> Option<Value>;
}

/// Evaluation failure (bad regex, wrong arity, unknown function, ...).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    /// What went wrong.
    pub message: String,
}

/// Evaluates `expr` against `row`.
pub fn eval(_expr: &Expr, _row: &dyn RowAccess) -> Result<Value, EvalError> {
    Err(EvalError {
        message: "not implemented".into(),
    })
}

/// Names of functions used in the pipeline that the evaluator does not know.
pub fn unsupported_functions(_p: &Pipeline) -> Vec<String> {
    Vec::new()
}
