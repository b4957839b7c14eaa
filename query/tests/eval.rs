//! The eval evaluator: Splunk semantics for null, numbers in strings, functions, and
//! property tests for the algebra.

use loupe_query::eval::compile_spl_regex;
use loupe_query::*;
use proptest::prelude::*;
use std::collections::HashMap;

fn expr(text: &str) -> Expr {
    match parse(&format!("| eval x={text}")) {
        Ok(mut p) => match p.commands.remove(0).kind {
            CommandKind::Eval(mut v) => v.remove(0).1,
            other => panic!("{other:?}"),
        },
        Err(e) => panic!("{text:?}: {e}"),
    }
}

fn row(pairs: &[(&str, Value)]) -> HashMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn ev_in(text: &str, r: &HashMap<String, Value>) -> Value {
    Evaluator::new(&expr(text))
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_now(1_772_582_400.0) // 2026-03-04T00:00:00Z
        .eval(r)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn ev(text: &str) -> Value {
    ev_in(text, &row(&[]))
}

fn s(x: &str) -> Value {
    Value::Str(x.to_string())
}

fn mv(xs: &[&str]) -> Value {
    Value::Multi(xs.iter().map(|x| s(x)).collect())
}

#[test]
fn arithmetic_and_numbers_in_strings() {
    let r = row(&[
        ("a", s("5")),
        ("b", Value::Int(3)),
        ("f", s("2.5")),
        ("w", s("abc")),
    ]);
    assert_eq!(ev_in("a + b", &r), Value::Int(8));
    assert_eq!(ev_in("a * f", &r), Value::Float(12.5));
    assert_eq!(ev_in("7 / 2", &r), Value::Float(3.5));
    assert_eq!(ev_in("8 / 2", &r), Value::Int(4));
    assert_eq!(ev_in("7 % 3", &r), Value::Int(1));
    assert_eq!(ev_in("1 / 0", &r), Value::Null);
    assert_eq!(ev_in("-b", &r), Value::Int(-3));
    assert_eq!(ev_in("w + b", &r), s("abc3"));
    assert_eq!(ev_in("w - b", &r), Value::Null);
    assert_eq!(
        ev_in("9223372036854775807 + 1", &r),
        Value::Float(9223372036854775808.0)
    );
    assert_eq!(ev_in("a . b", &r), s("53"));
}

#[test]
fn null_propagates_and_compares_false() {
    let r = row(&[("a", Value::Int(1))]);
    for e in [
        "missing + 1",
        "missing . \"x\"",
        "1 - missing",
        "-missing",
        "len(missing)",
        "lower(missing)",
    ] {
        assert_eq!(ev_in(e, &r), Value::Null, "{e}");
    }
    for e in [
        "missing = 1",
        "missing != 1",
        "missing < 1",
        "missing >= 1",
        "missing LIKE \"%\"",
        "missing IN (1)",
    ] {
        assert_eq!(ev_in(e, &r), Value::Bool(false), "{e}");
    }
    assert_eq!(ev_in("NOT missing = 1", &r), Value::Bool(true));
    assert_eq!(
        ev_in("isnull(missing) AND isnotnull(a)", &r),
        Value::Bool(true)
    );
    assert_eq!(ev_in("coalesce(missing, null(), a, 2)", &r), Value::Int(1));
    assert_eq!(ev_in("if(missing > 0, \"yes\", \"no\")", &r), s("no"));
}

#[test]
fn comparisons() {
    let r = row(&[
        ("status", s("404")),
        ("host", s("web-1")),
        ("m", mv(&["a", "b"])),
    ]);
    assert_eq!(
        ev_in("status >= 400 AND status < 500", &r),
        Value::Bool(true)
    );
    assert_eq!(ev_in("status = \"404\"", &r), Value::Bool(true));
    assert_eq!(ev_in("\"10\" > \"9\"", &r), Value::Bool(true)); // numeric, not lexicographic
    assert_eq!(ev_in("\"b\" > \"a\"", &r), Value::Bool(true));
    assert_eq!(
        ev_in("host == \"web-1\" XOR status = 1", &r),
        Value::Bool(true)
    );
    assert_eq!(ev_in("m = \"b\"", &r), Value::Bool(true));
    assert_eq!(
        ev_in("host LIKE \"web-%\" AND host LIKE \"w_b%\"", &r),
        Value::Bool(true)
    );
    assert_eq!(ev_in("host NOT LIKE \"db%\"", &r), Value::Bool(true));
    assert_eq!(ev_in("status IN (200, 404)", &r), Value::Bool(true));
    assert_eq!(ev_in("in(host, \"a\", \"web-1\")", &r), Value::Bool(true));
}

#[test]
fn conditionals() {
    let r = row(&[("status", Value::Int(503))]);
    assert_eq!(
        ev_in(
            "case(status < 300, \"ok\", status < 500, \"client\", true(), \"server\")",
            &r
        ),
        s("server")
    );
    assert_eq!(ev_in("case(status < 300, \"ok\")", &r), Value::Null);
    assert_eq!(
        ev_in("validate(status < 600, \"bad\", status > 500, \"low\")", &r),
        Value::Null
    );
    assert_eq!(
        ev_in("validate(status < 500, \"too high\")", &r),
        s("too high")
    );
    assert_eq!(ev_in("nullif(status, 503)", &r), Value::Null);
}

#[test]
fn string_functions() {
    assert_eq!(ev("len(\"héllo\")"), Value::Int(5));
    assert_eq!(ev("upper(\"ab\") . lower(\"CD\")"), s("ABcd"));
    assert_eq!(ev("substr(\"splunk\", 1, 3)"), s("spl"));
    assert_eq!(ev("substr(\"splunk\", -3)"), s("unk"));
    assert_eq!(ev("substr(\"splunk\", 3)"), s("lunk"));
    assert_eq!(ev("substr(\"ab\", 5, 2)"), s(""));
    assert_eq!(ev("replace(\"a-b-c\", \"-\", \"+\")"), s("a+b+c"));
    assert_eq!(
        ev("replace(\"2026-03-04\", \"(\\d+)-(\\d+)-(\\d+)\", \"\\3/\\2/\\1 $1\")"),
        s("04/03/2026 $1")
    );
    assert_eq!(ev("trim(\"  x  \")"), s("x"));
    assert_eq!(ev("trim(\"**x*\", \"*\")"), s("x"));
    assert_eq!(ev("ltrim(\"  x \")"), s("x "));
    assert_eq!(ev("rtrim(\" x  \")"), s(" x"));
    assert_eq!(ev("urldecode(\"a%20b+c%2Fd%zz%\")"), s("a b c/d%zz%"));
    assert_eq!(ev("match(\"error 42\", \"\\d+$\")"), Value::Bool(true));
    assert_eq!(ev("like(\"abc\", \"a%\")"), Value::Bool(true));
    assert_eq!(
        ev("typeof(\"x\") . typeof(1) . typeof(\"1\") . typeof(missing) . typeof(true())"),
        s("StringNumberNumberInvalidBoolean")
    );
    assert_eq!(
        ev("isnum(\"1.5\") AND isint(\"2\") AND isstr(\"a\") AND NOT isstr(\"1\")"),
        Value::Bool(true)
    );
}

#[test]
fn number_functions() {
    assert_eq!(ev("round(2.567, 2)"), Value::Float(2.57));
    assert_eq!(ev("round(2.5)"), Value::Int(3));
    assert_eq!(ev("round(-2.5)"), Value::Int(-3));
    assert_eq!(ev("abs(-4) + ceil(1.2) + floor(1.8)"), Value::Int(7));
    assert_eq!(ev("sqrt(16)"), Value::Int(4));
    assert_eq!(ev("pow(2, 10)"), Value::Int(1024));
    assert_eq!(ev("log(1000)"), Value::Int(3));
    assert_eq!(ev("log(8, 2)"), Value::Int(3));
    assert_eq!(ev("ln(1)"), Value::Int(0));
    assert_eq!(ev("exact(0.1)"), Value::Float(0.1));
    assert_eq!(ev("min(3, \"2\", 10)"), s("2"));
    assert_eq!(ev("max(3, 2, 10)"), Value::Int(10));
    assert_eq!(ev("tonumber(\"0x1F\", 16)"), Value::Int(31));
    assert_eq!(ev("tonumber(\"101\", 2)"), Value::Int(5));
    assert_eq!(ev("tonumber(\" 12.5 \")"), Value::Float(12.5));
    assert_eq!(ev("tonumber(\"abc\")"), Value::Null);
    assert_eq!(ev("tonumber(\"inf\")"), Value::Null);
}

#[test]
fn tostring_formats() {
    assert_eq!(ev("tostring(1234567, \"commas\")"), s("1,234,567"));
    assert_eq!(ev("tostring(-1234567.891, \"commas\")"), s("-1,234,567.89"));
    assert_eq!(ev("tostring(123, \"commas\")"), s("123"));
    assert_eq!(ev("tostring(255, \"hex\")"), s("0xFF"));
    assert_eq!(ev("tostring(3725, \"duration\")"), s("01:02:05"));
    assert_eq!(ev("tostring(90061, \"duration\")"), s("1+01:01:01"));
    assert_eq!(ev("tostring(1 = 1)"), s("True"));
    assert_eq!(ev("tostring(2.50)"), s("2.5"));
}

#[test]
fn time_functions() {
    assert_eq!(ev("now()"), Value::Int(1_772_582_400));
    assert_eq!(
        ev("strftime(1772582400, \"%Y-%m-%dT%H:%M:%S\")"),
        s("2026-03-04T00:00:00")
    );
    assert_eq!(
        ev("strftime(1772582400.123, \"%H:%M:%S.%3N\")"),
        s("00:00:00.123")
    );
    assert_eq!(
        ev("strptime(\"2026-03-04 10:30:00\", \"%Y-%m-%d %H:%M:%S\")"),
        Value::Int(1_772_620_200)
    );
    assert_eq!(
        ev("strptime(\"04/03/2026\", \"%d/%m/%Y\")"),
        Value::Int(1_772_582_400)
    );
    assert_eq!(
        ev("strptime(\"2026-03-04T01:00:00+01:00\", \"%Y-%m-%dT%H:%M:%S%:z\")"),
        Value::Int(1_772_582_400)
    );
    assert_eq!(ev("strptime(\"garbage\", \"%Y\")"), Value::Null);
    assert_eq!(
        ev("relative_time(now(), \"-1d@d\")"),
        Value::Int(1_772_582_400 - 86_400)
    );
    assert_eq!(
        ev("relative_time(1772620200, \"@d\")"),
        Value::Int(1_772_582_400)
    );
    let paris = Evaluator::new(&expr("strftime(1772582400, \"%H:%M %Z\")"))
        .unwrap()
        .with_time_zone(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .eval(&())
        .unwrap();
    assert_eq!(paris, s("01:00 CET"));
}

#[test]
fn multivalue_functions() {
    let r = row(&[("m", mv(&["b", "a", "b", "c"])), ("one", s("x"))]);
    assert_eq!(ev_in("mvcount(m)", &r), Value::Int(4));
    assert_eq!(ev_in("mvcount(one)", &r), Value::Int(1));
    assert_eq!(ev_in("mvcount(missing)", &r), Value::Null);
    assert_eq!(ev_in("mvindex(m, 0)", &r), s("b"));
    assert_eq!(ev_in("mvindex(m, -1)", &r), s("c"));
    assert_eq!(ev_in("mvindex(m, 1, 2)", &r), mv(&["a", "b"]));
    assert_eq!(ev_in("mvindex(m, 9)", &r), Value::Null);
    assert_eq!(ev_in("mvjoin(m, \";\")", &r), s("b;a;b;c"));
    assert_eq!(
        ev_in("mvappend(one, m, missing, \"z\")", &r),
        mv(&["x", "b", "a", "b", "c", "z"])
    );
    assert_eq!(ev_in("mvdedup(m)", &r), mv(&["b", "a", "c"]));
    assert_eq!(ev_in("mvsort(m)", &r), mv(&["a", "b", "b", "c"]));
    assert_eq!(ev_in("mvfind(m, \"^c\")", &r), Value::Int(3));
    assert_eq!(ev_in("mvfilter(m != \"b\")", &r), mv(&["a", "c"]));
    assert_eq!(ev_in("mvfilter(NOT match(m, \"[ab]\"))", &r), s("c"));
    assert_eq!(
        ev_in(
            "mvzip(split(\"a,b\", \",\"), split(\"1,2\", \",\"), \"=\")",
            &r
        ),
        mv(&["a=1", "b=2"])
    );
    assert_eq!(
        ev_in("split(\"a|b||c\", \"|\")", &r),
        mv(&["a", "b", "", "c"])
    );
    assert_eq!(ev_in("split(\"ab\", \"\")", &r), mv(&["a", "b"]));
    assert_eq!(ev_in("upper(m)", &r), mv(&["B", "A", "B", "C"]));
    assert_eq!(
        ev_in("mvmap(m, m . \"!\")", &r),
        mv(&["b!", "a!", "b!", "c!"])
    );
    assert!(Evaluator::new(&expr("mvmap(\"x\", 1)"))
        .unwrap()
        .eval(&r)
        .is_err());
}

#[test]
fn cidr_and_json() {
    assert_eq!(
        ev("cidrmatch(\"10.0.0.0/8\", \"10.1.2.3\")"),
        Value::Bool(true)
    );
    assert_eq!(
        ev("cidrmatch(\"10.0.0.0/8\", \"11.1.2.3\")"),
        Value::Bool(false)
    );
    assert_eq!(
        ev("cidrmatch(\"192.168.1.0/24\", \"192.168.1.255\")"),
        Value::Bool(true)
    );
    assert_eq!(
        ev("cidrmatch(\"2001:db8::/32\", \"2001:db8::1\")"),
        Value::Bool(true)
    );
    assert_eq!(
        ev("cidrmatch(\"0.0.0.0/0\", \"1.2.3.4\")"),
        Value::Bool(true)
    );
    assert_eq!(
        ev("cidrmatch(\"10.0.0.0/8\", \"not an ip\")"),
        Value::Bool(false)
    );
    let r = row(&[("j", s(r#"{"a":{"b":[1,{"c":"x"},3]},"n":null,"s":"t"}"#))]);
    assert_eq!(ev_in("json_extract(j, \"a.b{1}.c\")", &r), s("x"));
    assert_eq!(ev_in("json_extract(j, \"a.b{0}\")", &r), Value::Int(1));
    assert_eq!(ev_in("json_extract(j, \"a.b{-1}\")", &r), Value::Int(3));
    assert_eq!(ev_in("json_extract(j, \"s\")", &r), s("t"));
    assert_eq!(ev_in("json_extract(j, \"nope\")", &r), Value::Null);
    assert_eq!(ev_in("json_extract(j, \"a.b{1}\")", &r), s(r#"{"c":"x"}"#));
    assert_eq!(ev_in("json_extract(\"not json\", \"a\")", &r), Value::Null);
}

#[test]
fn static_errors_are_eval_errors_not_panics() {
    let check = |text: &str, needle: &str| {
        let e = Evaluator::new(&expr(text)).unwrap_err();
        assert!(e.message.contains(needle), "{text}: {e}");
        assert!(e.span.is_some());
    };
    check("nosuch(1)", "unknown function `nosuch`");
    check("if(1, 2)", "if() takes 3 argument(s), got 2");
    check("substr(\"a\")", "substr() takes 2 to 3 argument(s)");
    check("case(1, 2, 3)", "case() takes condition/value pairs");
    check(
        "match(x, \"(unclosed\")",
        "invalid regex \"(unclosed\" in match() at bytes",
    );
    check("match(x, \"(unclosed\")", ": unclosed group");
    // Look-behind runs on the backtracking engine; a broken one is still refused.
    assert!(Evaluator::new(&expr("replace(x, \"(?<=a)b\", \"\")")).is_ok());
    check(
        "replace(x, \"(?<=a[)b\", \"\")",
        "invalid regex \"(?<=a[)b\" in replace() at bytes",
    );
    // Dynamic patterns fail at run time, with the same kind of error.
    let ev = Evaluator::new(&expr("match(\"a\", p)")).unwrap();
    let bad = row(&[("p", s("[z-a]"))]);
    assert!(ev.eval(&bad).unwrap_err().message.contains("invalid regex"));
    let good = row(&[("p", s("^a$"))]);
    assert_eq!(ev.eval(&good).unwrap(), Value::Bool(true));
    assert!(Evaluator::new(&expr("tostring(1, \"nope\")"))
        .unwrap()
        .eval(&())
        .is_err());
}

#[test]
fn unsupported_functions_are_found_statically() {
    let p = parse("a [search b | eval x=sha3(y)] | eval y=if(isnull(a), crc32(b), upper(c)) | where geomatch(\"x\") | stats count(eval(crc32(z) = 1)) by h").unwrap();
    assert_eq!(unsupported_functions(&p), ["sha3", "crc32", "geomatch"]);
    assert!(unsupported_functions(&parse("| eval x=round(y, 2)").unwrap()).is_empty());
}

#[test]
fn evaluator_is_reusable_and_thread_safe() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Evaluator>();
    let e = Evaluator::new(&expr("if(match(host, \"^web\"), status * 2, 0)")).unwrap();
    for i in 0..100 {
        let r = row(&[
            ("host", s(if i % 2 == 0 { "web-1" } else { "db-1" })),
            ("status", Value::Int(i)),
        ]);
        let expected = if i % 2 == 0 {
            Value::Int(i * 2)
        } else {
            Value::Int(0)
        };
        assert_eq!(e.eval(&r).unwrap(), expected);
    }
    assert!(e
        .is_true(&row(&[("host", s("web")), ("status", Value::Int(1))]))
        .unwrap());
}

#[test]
fn corpus_style_expressions_evaluate() {
    let r = row(&[
        ("process", s("cmd.exe /c whoami")),
        ("count", Value::Int(12)),
        ("firstTime", Value::Int(1_772_582_400)),
        ("src_ip", s("10.0.0.5")),
    ]);
    assert_eq!(
        ev_in("if(match(process, \"whoami\") AND isnotnull(src_ip), \"traces of exploitation by \" . src_ip, \"false\")", &r),
        s("traces of exploitation by 10.0.0.5")
    );
    assert_eq!(
        ev_in("mvcount(split(process, \" \")) - 1", &r),
        Value::Int(2)
    );
    assert_eq!(
        ev_in("strftime(firstTime, \"%Y-%m-%d\")", &r),
        s("2026-03-04")
    );
    assert_eq!(ev_in("round(count / 5, 1)", &r), Value::Float(2.4));
}

fn num_strategy() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-1_000_000i64..1_000_000).prop_map(Value::Int),
        (-1.0e6f64..1.0e6).prop_map(Value::Float),
        (-1_000_000i64..1_000_000).prop_map(|i| Value::Str(i.to_string())),
    ]
}

fn as_f64(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

proptest! {
    #[test]
    fn addition_commutes(a in num_strategy(), b in num_strategy()) {
        let r = row(&[("a", a), ("b", b)]);
        let x = ev_in("a + b", &r);
        let y = ev_in("b + a", &r);
        prop_assert!((as_f64(&x) - as_f64(&y)).abs() < 1e-6, "{x:?} vs {y:?}");
    }

    #[test]
    fn multiplication_commutes_and_distributes(a in -1000i64..1000, b in -1000i64..1000, c in -1000i64..1000) {
        let r = row(&[("a", Value::Int(a)), ("b", Value::Int(b)), ("c", Value::Int(c))]);
        prop_assert_eq!(ev_in("a * b", &r), ev_in("b * a", &r));
        prop_assert_eq!(ev_in("a * (b + c)", &r), ev_in("a * b + a * c", &r));
    }

    #[test]
    fn concat_lengths_add(x in ".{0,20}", y in ".{0,20}") {
        let r = row(&[("x", Value::Str(x.clone())), ("y", Value::Str(y.clone()))]);
        let lhs = ev_in("len(x . y)", &r);
        let rhs = ev_in("len(x) + len(y)", &r);
        prop_assert_eq!(lhs, rhs);
    }

    #[test]
    fn null_propagates_through_arithmetic_and_concat(a in num_strategy(), op in prop::sample::select(vec!["+", "-", "*", "/", "%", "."])) {
        let r = row(&[("a", a)]);
        prop_assert_eq!(ev_in(&format!("a {op} missing"), &r), Value::Null);
        prop_assert_eq!(ev_in(&format!("missing {op} a"), &r), Value::Null);
    }

    #[test]
    fn comparisons_are_consistent(a in num_strategy(), b in num_strategy()) {
        let r = row(&[("a", a), ("b", b)]);
        let lt = ev_in("a < b", &r) == Value::Bool(true);
        let gt = ev_in("a > b", &r) == Value::Bool(true);
        let eq = ev_in("a = b", &r) == Value::Bool(true);
        prop_assert_eq!(u8::from(lt) + u8::from(gt) + u8::from(eq), 1);
        prop_assert_eq!(ev_in("a != b", &r) == Value::Bool(true), !eq);
        prop_assert_eq!(ev_in("a <= b", &r) == Value::Bool(true), lt || eq);
    }

    #[test]
    fn not_is_an_involution_on_conditions(a in num_strategy(), b in num_strategy()) {
        let r = row(&[("a", a), ("b", b)]);
        prop_assert_eq!(ev_in("NOT NOT a < b", &r), ev_in("a < b", &r));
        prop_assert_eq!(ev_in("NOT (a < b OR a > b)", &r), ev_in("a = b", &r));
    }

    #[test]
    fn tostring_tonumber_round_trip(i in any::<i64>()) {
        let r = row(&[("i", Value::Int(i))]);
        prop_assert_eq!(ev_in("tonumber(tostring(i))", &r), Value::Int(i));
    }

    #[test]
    fn printed_expressions_evaluate_the_same(a in -100i64..100, b in -100i64..100, c in 1i64..100) {
        let text = "(a + b) * c - a % c . \"x\"";
        let e = expr(text);
        let again = expr(&e.to_string());
        let r = row(&[("a", Value::Int(a)), ("b", Value::Int(b)), ("c", Value::Int(c))]);
        prop_assert_eq!(eval(&e, &r).unwrap(), eval(&again, &r).unwrap());
    }
}

#[test]
fn longest_accepted_chains_evaluate_without_overflow() {
    // The parser accepts up to 500 chained binary operators and 100 levels of nesting;
    // evaluation recurses over both, on a 2 MiB test thread in debug builds.
    let terms: Vec<String> = (0..500).map(|i| format!("x{i}")).collect();
    let sum = expr(&terms.join(" + "));
    let r: HashMap<String, Value> = (0..500).map(|i| (format!("x{i}"), Value::Int(1))).collect();
    assert_eq!(eval(&sum, &r).unwrap(), Value::Int(500));
    let _ = (
        sum.clone() == sum,
        sum.to_string(),
        serde_json::to_string(&sum).unwrap(),
    );
    let nested = expr(&format!("{}1{}", "abs(".repeat(49), ")".repeat(49)));
    assert_eq!(eval(&nested, &()).unwrap(), Value::Int(1));
    let parens = expr(&format!("{}1{}", "(1 + ".repeat(95), ")".repeat(95)));
    assert_eq!(eval(&parens, &()).unwrap(), Value::Int(96));
}

#[test]
fn pcre_literal_braces_are_accepted() {
    for (re, text, expected) in [
        ("({|%7b)(env|date)", "${env:X}", true),
        ("(\\$|%24)[^ /]*({|%7b)", "x${", true),
        ("a{2}b{1,}c{0,2}", "aabc", true),
        ("a{2}", "a{2}", false),
        ("\\{x}", "{x}", true),
        ("[{}]+x", "{}x", true),
        ("[]{]", "{", true),
        ("x{", "x{", true),
        ("{", "{", true),
        ("a{,2}", "a{,2}", true),
    ] {
        let r = compile_spl_regex(re).unwrap_or_else(|e| panic!("{re}: {e}"));
        assert_eq!(r.is_match(text), expected, "{re} on {text}");
    }
    // The linear engine alone refuses look-around; `pcre::SplRegex` falls back for it.
    assert!(compile_spl_regex("(?=x)").is_err());
}
