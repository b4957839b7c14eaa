//! Checks of schedules at save time; the scheduler itself is `loupe-alerts`.

/// A cron expression Loupe accepts: 5 fields (minute hour day month weekday), or 6 with
/// seconds first.
pub fn check_cron(expr: &str) -> Result<(), String> {
    let fields = expr.split_whitespace().count();
    if !(5..=6).contains(&fields) {
        return Err(format!(
            "cron {expr:?}: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found {fields}"
        ));
    }
    let ok = expr
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " */,-?#LW".contains(c));
    if !ok {
        return Err(format!("cron {expr:?}: unexpected character"));
    }
    Ok(())
}
