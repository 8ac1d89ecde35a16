//! Recursive descent over the tokens: `import` lines and `name = literal` assignments, where a
//! literal may contain `vbx.flows.X(...)` / `vbx.devices.Y(...)` calls and names assigned
//! above (`cell = vbx.devices.SMS(...)` then `devices=[cell]`), which are replaced by their
//! values as Python would read them. Nothing else parses.

use std::collections::HashMap;

use super::lex::{tokens, Pos, Tok};
use super::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Module {
    Flows,
    Devices,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Expr {
    pub pos: Pos,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    Str(String),
    Int(i64),
    Bool(bool),
    None,
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Call(Call),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Call {
    pub module: Module,
    pub class: String,
    pub args: Vec<Expr>,
    /// Keyword, its position, value.
    pub kwargs: Vec<(String, Pos, Expr)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Assign {
    pub name: String,
    pub pos: Pos,
    pub value: Expr,
}

/// The names an old flow file sets.
pub(super) const SETTINGS: &[&str] = &["auth", "app", "number", "calls", "messages", "contacts"];

pub(super) fn parse(source: &str) -> Result<Vec<Assign>, Error> {
    let mut parser = Parser {
        toks: tokens(source)?,
        at: 0,
        depth: 0,
        names: HashMap::new(),
        expanded: 0,
    };
    parser.file()
}

struct Parser {
    toks: Vec<(Tok, Pos)>,
    at: usize,
    /// How deeply values are nested; bounded so that no input can exhaust the stack.
    depth: usize,
    /// Each name assigned so far: its latest value, its size in values, and whether a value
    /// used it.
    names: HashMap<String, Named>,
    /// Values copied in for names so far; bounded so that names of names of lists cannot
    /// multiply a small file into an enormous one.
    expanded: usize,
}

struct Named {
    value: Expr,
    size: usize,
    used: bool,
    setting: bool,
    pos: Pos,
}

/// Far more values than any flow file copies in through its names.
const MAX_EXPANDED: usize = 100_000;

/// How many values `expr` is made of.
fn size(expr: &Expr) -> usize {
    1 + match &expr.kind {
        Kind::List(items) | Kind::Tuple(items) => items.iter().map(size).sum(),
        Kind::Dict(entries) => entries.iter().map(|(k, v)| size(k) + size(v)).sum(),
        Kind::Call(call) => {
            call.args.iter().map(size).sum::<usize>()
                + call.kwargs.iter().map(|(_, _, v)| size(v)).sum::<usize>()
        }
        _ => 0,
    }
}

/// Far deeper than any flow file nests (dict → list → call → list → call).
const MAX_DEPTH: usize = 32;

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Name(name) => format!("`{name}`"),
        Tok::Str(_) => "a string".to_owned(),
        Tok::Int(_) => "a number".to_owned(),
        Tok::Op(op) => format!("`{op}`"),
        Tok::Open(c) | Tok::Close(c) => format!("`{c}`"),
        Tok::Comma => "`,`".to_owned(),
        Tok::Colon => "`:`".to_owned(),
        Tok::Assign => "`=`".to_owned(),
        Tok::Dot => "`.`".to_owned(),
        Tok::Semicolon => "`;`".to_owned(),
        Tok::Newline => "the end of the line".to_owned(),
        Tok::End => "the end of the file".to_owned(),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.at).map_or(&Tok::End, |(t, _)| t)
    }

    fn pos(&self) -> Pos {
        self.toks
            .get(self.at)
            .or(self.toks.last())
            .map_or(Pos { line: 1, column: 1 }, |(_, p)| *p)
    }

    fn next(&mut self) -> (Tok, Pos) {
        let pos = self.pos();
        let tok = self.peek().clone();
        if self.at < self.toks.len() {
            self.at += 1;
        }
        (tok, pos)
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<Pos, Error> {
        let pos = self.pos();
        if self.eat(tok) {
            Ok(pos)
        } else {
            Err(self.unexpected(what))
        }
    }

    /// An error for the current token, explaining the common unsupported constructs.
    fn unexpected(&self, expected: &str) -> Error {
        let pos = self.pos();
        let found = describe(self.peek());
        let why = match self.peek() {
            Tok::Op(_) => {
                " (operators are not supported: the file is read, never run; write the value out)"
            }
            Tok::Open('[') => " (subscripts are not supported)",
            Tok::Open('(') => " (only vbx.flows.* and vbx.devices.* can be called)",
            Tok::Dot => " (attributes are not supported)",
            _ => "",
        };
        pos.error(format!("expected {expected}, found {found}{why}"))
    }

    fn end_of_statement(&mut self) -> Result<(), Error> {
        match self.peek() {
            Tok::Newline | Tok::Semicolon | Tok::End => {
                while matches!(self.peek(), Tok::Newline | Tok::Semicolon) {
                    self.at += 1;
                }
                Ok(())
            }
            _ => Err(self.unexpected("the end of the line")),
        }
    }

    fn file(&mut self) -> Result<Vec<Assign>, Error> {
        let mut out = Vec::new();
        while matches!(self.peek(), Tok::Newline | Tok::Semicolon) {
            self.at += 1;
        }
        while *self.peek() != Tok::End {
            let (tok, pos) = self.next();
            match tok {
                Tok::Name(name) if name == "import" => self.import()?,
                Tok::Name(name) if name == "from" => {
                    return Err(pos.error(
                        "`from ... import` is not supported: write `import vbx.flows` and `import vbx.devices`",
                    ))
                }
                // A docstring.
                Tok::Str(_) => {
                    while let Tok::Str(_) = self.peek() {
                        self.at += 1;
                    }
                }
                Tok::Name(name) => {
                    if *self.peek() != Tok::Assign {
                        return Err(self.unexpected(&format!("`=` after `{name}`")));
                    }
                    self.at += 1;
                    let value = self.expr()?;
                    let setting = SETTINGS.contains(&name.as_str());
                    self.names.insert(
                        name.clone(),
                        Named {
                            size: size(&value),
                            value: value.clone(),
                            used: false,
                            setting,
                            pos,
                        },
                    );
                    if setting {
                        out.push(Assign { name, pos, value });
                    }
                }
                other => {
                    return Err(pos.error(format!(
                        "expected `import` or a setting such as `calls = {{...}}`, found {}",
                        describe(&other)
                    )))
                }
            }
            self.end_of_statement()?;
        }
        let mut unused: Vec<(&String, &Named)> = self
            .names
            .iter()
            .filter(|(_, n)| !n.used && !n.setting)
            .collect();
        unused.sort_by_key(|(_, n)| (n.pos.line, n.pos.column));
        if let Some((name, named)) = unused.first() {
            return Err(unused_error(name, named));
        }
        Ok(out)
    }

    fn import(&mut self) -> Result<(), Error> {
        loop {
            let pos = self.pos();
            let mut path = vec![self.name("a module name after `import`")?];
            while self.eat(&Tok::Dot) {
                path.push(self.name("a module name after `.`")?);
            }
            let path = path.join(".");
            if !matches!(path.as_str(), "vbx" | "vbx.flows" | "vbx.devices") {
                return Err(pos.error(format!(
                    "`import {path}` is not supported: only vbx, vbx.flows and vbx.devices"
                )));
            }
            if !self.eat(&Tok::Comma) {
                return Ok(());
            }
        }
    }

    fn name(&mut self, what: &str) -> Result<String, Error> {
        match self.peek().clone() {
            Tok::Name(name) => {
                self.at += 1;
                Ok(name)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn expr(&mut self) -> Result<Expr, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(self.pos().error("values are nested too deeply"));
        }
        self.depth += 1;
        let result = self.value();
        self.depth -= 1;
        result
    }

    fn value(&mut self) -> Result<Expr, Error> {
        let (tok, pos) = self.next();
        let kind = match tok {
            Tok::Str(mut value) => {
                // Adjacent literals concatenate, as in Python.
                while let Tok::Str(more) = self.peek() {
                    value.push_str(more);
                    self.at += 1;
                }
                Kind::Str(value)
            }
            Tok::Int(n) => Kind::Int(n),
            Tok::Op(op) if op == "-" => match self.next() {
                (Tok::Int(n), _) => Kind::Int(-n),
                (_, at) => return Err(at.error("`-` must be followed by a whole number")),
            },
            Tok::Open('[') => Kind::List(self.items(']')?.0),
            Tok::Open('(') => {
                let (items, trailing_comma) = self.items(')')?;
                if items.len() == 1 && !trailing_comma {
                    return self.after(
                        items
                            .into_iter()
                            .next()
                            .ok_or_else(|| pos.error("empty parentheses"))?,
                    );
                }
                Kind::Tuple(items)
            }
            Tok::Open('{') => self.dict(pos)?,
            Tok::Name(name) => match name.as_str() {
                "True" => Kind::Bool(true),
                "False" => Kind::Bool(false),
                "None" => Kind::None,
                "vbx" => Kind::Call(self.call()?),
                "lambda" | "if" | "for" | "not" | "await" | "yield" => {
                    return Err(pos.error(format!(
                        "`{name}` is not supported: the file is read, never run"
                    )))
                }
                _ => {
                    let Some(named) = self.names.get_mut(&name) else {
                        return Err(pos.error(format!(
                            "`{name}` is not assigned above: only literals, vbx.flows.* / \
                             vbx.devices.* calls and names assigned to them earlier in the file are \
                             read (the file is never run)"
                        )));
                    };
                    named.used = true;
                    self.expanded = self.expanded.saturating_add(named.size);
                    if self.expanded > MAX_EXPANDED {
                        return Err(pos.error(format!(
                            "`{name}`: names copy in more than {MAX_EXPANDED} values in all; \
                             write the flows out instead"
                        )));
                    }
                    let value = named.value.clone();
                    return self.after(value);
                }
            },
            other => {
                return Err(pos.error(format!("expected a value, found {}", describe(&other))));
            }
        };
        self.after(Expr { pos, kind })
    }

    /// Nothing may follow a value but a separator: no operators, subscripts or calls.
    fn after(&mut self, expr: Expr) -> Result<Expr, Error> {
        match self.peek() {
            Tok::Op(_) | Tok::Open(_) | Tok::Dot => {
                Err(self.unexpected("`,` or the end of the value"))
            }
            Tok::Name(name)
                if matches!(
                    name.as_str(),
                    "if" | "for" | "and" | "or" | "in" | "is" | "not"
                ) =>
            {
                let pos = self.pos();
                Err(pos.error(format!(
                    "`{name}` is not supported: the file is read, never run"
                )))
            }
            _ => Ok(expr),
        }
    }

    /// Comma-separated values up to `close`; also says whether a comma trailed.
    fn items(&mut self, close: char) -> Result<(Vec<Expr>, bool), Error> {
        let mut items = Vec::new();
        let mut trailing = false;
        while !self.eat(&Tok::Close(close)) {
            items.push(self.expr()?);
            trailing = self.eat(&Tok::Comma);
            if !trailing && *self.peek() != Tok::Close(close) {
                return Err(self.unexpected(&format!("`,` or `{close}`")));
            }
        }
        Ok((items, trailing))
    }

    fn dict(&mut self, open: Pos) -> Result<Kind, Error> {
        let mut entries = Vec::new();
        while !self.eat(&Tok::Close('}')) {
            let key = self.expr()?;
            if *self.peek() != Tok::Colon {
                if entries.is_empty() && matches!(self.peek(), Tok::Comma | Tok::Close('}')) {
                    return Err(
                        open.error("sets are not supported: write a dict `{key: value}` or a list")
                    );
                }
                return Err(self.unexpected("`:` after a dict key"));
            }
            self.at += 1;
            let value = self.expr()?;
            entries.push((key, value));
            if !self.eat(&Tok::Comma) && *self.peek() != Tok::Close('}') {
                return Err(self.unexpected("`,` or `}`"));
            }
        }
        Ok(Kind::Dict(entries))
    }

    /// `vbx` has been read: `.flows.X(...)` or `.devices.Y(...)`.
    fn call(&mut self) -> Result<Call, Error> {
        self.expect(&Tok::Dot, "`.flows` or `.devices` after `vbx`")?;
        let module_pos = self.pos();
        let module = match self.name("`flows` or `devices` after `vbx.`")?.as_str() {
            "flows" => Module::Flows,
            "devices" => Module::Devices,
            other => {
                return Err(module_pos.error(format!(
                    "`vbx.{other}` is not known: only vbx.flows.* and vbx.devices.*"
                )))
            }
        };
        self.expect(&Tok::Dot, "`.` and a class name")?;
        let class = self.name("a class name")?;
        self.expect(&Tok::Open('('), &format!("`(` after `{class}`"))?;
        let mut args = Vec::new();
        let mut kwargs: Vec<(String, Pos, Expr)> = Vec::new();
        while !self.eat(&Tok::Close(')')) {
            let pos = self.pos();
            if let Tok::Op(op) = self.peek() {
                if op == "*" || op == "**" {
                    return Err(pos.error(format!("`{op}` unpacking is not supported")));
                }
            }
            let keyword = match (
                self.peek().clone(),
                self.toks.get(self.at + 1).map(|(t, _)| t),
            ) {
                (Tok::Name(name), Some(Tok::Assign)) => Some(name),
                _ => None,
            };
            if let Some(name) = keyword {
                self.at += 2;
                let value = self.expr()?;
                kwargs.push((name, pos, value));
            } else {
                let value = self.expr()?;
                if !kwargs.is_empty() {
                    return Err(pos.error("a positional argument cannot follow a keyword argument"));
                }
                args.push(value);
            }
            if !self.eat(&Tok::Comma) && *self.peek() != Tok::Close(')') {
                return Err(self.unexpected("`,` or `)`"));
            }
        }
        Ok(Call {
            module,
            class,
            args,
            kwargs,
        })
    }
}

/// A name assigned but never used, which the old program would not have read either: most
/// likely a misspelt setting.
fn unused_error(name: &str, named: &Named) -> Error {
    named.pos.error(format!(
        "`{name}` is never used: only the settings {} are read, and other names only where a \
         value uses them (`devices=[{name}]`)",
        SETTINGS.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(source: &str) -> Kind {
        let mut assigns = parse(source).unwrap();
        assigns.pop().unwrap().value.kind
    }

    fn error(source: &str) -> (usize, usize, String) {
        let e = parse(source).unwrap_err();
        (e.line, e.column, e.message)
    }

    #[test]
    fn literals_parse_to_their_values() {
        assert_eq!(value("app = 'a' \"b\"\n"), Kind::Str("ab".into()));
        assert_eq!(value("app = -3"), Kind::Int(-3));
        let Kind::Tuple(items) = value("auth = ('x', 'y',)") else {
            panic!()
        };
        assert_eq!(items.len(), 2);
        assert_eq!(value("app = ('x')"), Kind::Str("x".into()));
        let Kind::Dict(entries) = value("contacts = {\n 'a': True,\n 'b': None,\n}") else {
            panic!()
        };
        assert_eq!(entries[0].1.kind, Kind::Bool(true));
        assert_eq!(entries[1].1.kind, Kind::None);
    }

    #[test]
    fn calls_keep_positional_and_keyword_arguments() {
        let Kind::Call(call) = value("calls = vbx.flows.Say('hi', loop=2)") else {
            panic!()
        };
        assert_eq!(call.module, Module::Flows);
        assert_eq!(call.class, "Say");
        assert_eq!(call.args.len(), 1);
        assert_eq!(call.kwargs[0].0, "loop");
        assert_eq!(
            call.kwargs[0].1,
            Pos {
                line: 1,
                column: 29
            }
        );
    }

    #[test]
    fn imports_other_than_vbx_are_refused() {
        assert!(parse("import vbx\nimport vbx.flows, vbx.devices\n")
            .unwrap()
            .is_empty());
        assert_eq!(error("import os").0, 1);
        assert!(error("from vbx import flows").2.contains("not supported"));
    }

    #[test]
    fn code_that_is_not_a_literal_is_refused_where_it_starts() {
        let (line, column, message) = error("calls = os.system('rm')");
        assert_eq!((line, column), (1, 9));
        assert!(message.contains("`os` is not assigned above"), "{message}");
        assert_eq!(error("app = 'a' + 'b'").1, 11);
        assert_eq!(error("app = {1, 2}").1, 7);
        assert_eq!(error("app = x[0]").1, 7);
        assert_eq!(error("app = vbx.os.X()").1, 11);
        assert_eq!(error("app = vbx.flows.Say(*args)").1, 21);
        assert_eq!(error("app = vbx.flows.Say(a=1, 2)").1, 26);
        assert!(
            error("other = 1").2.starts_with("`other` is never used"),
            "a misspelt setting is not dropped quietly"
        );
        assert_eq!(error("app = 1\n  number = 2").1, 3);
    }

    #[test]
    fn a_name_assigned_above_stands_for_its_value_as_python_reads_it() {
        let with_names = parse(
            "cell = vbx.devices.SMS(number='+15550001')\n\
             first = vbx.flows.Device(devices=[cell], timeout=5)\n\
             cell = vbx.devices.SMS(number='+15550002')\n\
             calls = {'default': [first, vbx.flows.Device(devices=[cell])]}\n",
        )
        .unwrap();
        let inline = parse(
            "calls = {'default': [vbx.flows.Device(devices=[vbx.devices.SMS(number='+15550001')], timeout=5), \
             vbx.flows.Device(devices=[vbx.devices.SMS(number='+15550002')])]}\n",
        )
        .unwrap();
        assert_eq!(
            with_names.len(),
            1,
            "only settings are assignments of the file"
        );
        // The same values; positions are where each was written.
        let strip = |e: &Expr| format!("{:?}", e.kind).replace(char::is_whitespace, "");
        let kinds = |a: &[Assign]| a.iter().map(|a| strip(&a.value)).collect::<Vec<_>>();
        assert_eq!(kinds(&with_names)[0].matches("15550001").count(), 1);
        assert_eq!(kinds(&with_names)[0].matches("15550002").count(), 1);
        assert_eq!(
            kinds(&with_names)[0].replace(|c: char| c.is_ascii_digit(), ""),
            kinds(&inline)[0].replace(|c: char| c.is_ascii_digit(), "")
        );
        // A setting is a name too.
        assert!(
            parse("number = '+1555'\ncalls = {'default': [vbx.flows.Dial(number=number)]}").is_ok()
        );
    }

    #[test]
    fn a_name_used_before_it_is_assigned_or_never_used_is_an_error() {
        let (line, column, message) = error("calls = {'default': [cell]}\ncell = 1");
        assert_eq!((line, column), (1, 22));
        assert!(
            message.contains("`cell` is not assigned above"),
            "{message}"
        );
        let (line, _, message) = error("app = 'x'\ncel = vbx.devices.SMS(number='+1')\n");
        assert_eq!(line, 2);
        assert!(message.starts_with("`cel` is never used"), "{message}");
    }

    #[test]
    fn names_of_names_cannot_multiply_a_small_file_into_a_huge_one() {
        let mut source = String::from("a0 = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
        for i in 1..12 {
            let p = i - 1;
            source.push_str(&format!(
                "a{i} = [a{p}, a{p}, a{p}, a{p}, a{p}, a{p}, a{p}, a{p}, a{p}, a{p}]\n"
            ));
        }
        source.push_str("app = a11\n");
        assert!(error(&source).2.contains("copy in more than"), "{source}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let source = format!("app = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(error(&source).2.contains("nested too deeply"));
        assert!(parse(&format!("app = {}{}", "[".repeat(30), "]".repeat(30))).is_ok());
    }
}
