//! Tokens of the Python subset an old flow file uses: names, strings (every quoting and
//! escape form of Python 3 str literals), whole numbers, brackets and a few punctuation marks.

use super::Error;

/// 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub fn error(self, message: impl Into<String>) -> Error {
        Error {
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    Name(String),
    Str(String),
    Int(i64),
    /// Any operator; the parser says why it is not allowed where it stands.
    Op(String),
    Open(char),
    Close(char),
    Comma,
    Colon,
    Assign,
    Dot,
    Semicolon,
    /// The end of a logical line (never inside brackets).
    Newline,
    End,
}

pub(super) fn tokens(source: &str) -> Result<Vec<(Tok, Pos)>, Error> {
    let text: Vec<char> = source
        .strip_prefix('\u{feff}')
        .unwrap_or(source)
        .replace("\r\n", "\n")
        .chars()
        .collect();
    let mut lexer = Lexer {
        text,
        at: 0,
        line: 1,
        column: 1,
        out: Vec::new(),
        depth: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.out)
}

struct Lexer {
    text: Vec<char>,
    at: usize,
    line: usize,
    column: usize,
    out: Vec<(Tok, Pos)>,
    /// Open brackets with their positions; newlines inside them join lines.
    depth: Vec<(char, Pos)>,
}

const TWO_CHAR_OPS: &[&str] = &[
    "**", "//", "==", "!=", "<=", ">=", "<<", ">>", "->", ":=", "+=", "-=", "*=", "/=", "%=", "&=",
    "|=", "^=", "@=",
];

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.text.get(self.at + ahead).copied()
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn push(&mut self, tok: Tok, pos: Pos) {
        self.out.push((tok, pos));
    }

    fn run(&mut self) -> Result<(), Error> {
        let mut line_start = true;
        while let Some(c) = self.peek(0) {
            let pos = self.pos();
            if line_start && self.depth.is_empty() {
                line_start = false;
                if c == ' ' || c == '\t' {
                    self.skip_indentation()?;
                    continue;
                }
            }
            match c {
                '\n' => {
                    self.bump();
                    if self.depth.is_empty() {
                        if !matches!(self.out.last(), None | Some((Tok::Newline, _))) {
                            self.push(Tok::Newline, pos);
                        }
                        line_start = true;
                    }
                }
                ' ' | '\t' | '\r' | '\x0c' => {
                    self.bump();
                }
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                '\\' => {
                    self.bump();
                    if self.peek(0) != Some('\n') {
                        return Err(pos.error("a backslash outside a string must end the line"));
                    }
                    self.bump();
                }
                '\'' | '"' => {
                    let value = self.string(pos, "")?;
                    self.push(Tok::Str(value), pos);
                }
                c if c.is_ascii_digit() => self.number(pos)?,
                '.' if self.peek(1).is_some_and(|c| c.is_ascii_digit()) => {
                    return Err(pos.error("only whole numbers are supported"));
                }
                c if c == '_' || c.is_alphabetic() => self.name(pos)?,
                '(' | '[' | '{' => {
                    self.bump();
                    self.depth.push((c, pos));
                    self.push(Tok::Open(c), pos);
                }
                ')' | ']' | '}' => {
                    self.bump();
                    let expected = match c {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    match self.depth.pop() {
                        Some((open, _)) if open == expected => self.push(Tok::Close(c), pos),
                        Some((open, at)) => {
                            return Err(pos.error(format!(
                                "`{c}` does not match the `{open}` at line {}, column {}",
                                at.line, at.column
                            )))
                        }
                        None => return Err(pos.error(format!("`{c}` closes nothing"))),
                    }
                }
                ',' => self.single(Tok::Comma, pos),
                ';' => self.single(Tok::Semicolon, pos),
                '.' => self.single(Tok::Dot, pos),
                ':' if self.peek(1) != Some('=') => self.single(Tok::Colon, pos),
                '=' if self.peek(1) != Some('=') => self.single(Tok::Assign, pos),
                c if "+-*/%@<>=!&|^~:".contains(c) => {
                    let mut op = String::from(c);
                    self.bump();
                    if let Some(next) = self.peek(0) {
                        let pair = format!("{c}{next}");
                        if TWO_CHAR_OPS.contains(&pair.as_str()) {
                            self.bump();
                            op = pair;
                        }
                    }
                    self.push(Tok::Op(op), pos);
                }
                other => {
                    return Err(
                        pos.error(format!("unexpected character `{}`", other.escape_debug()))
                    )
                }
            }
        }
        if let Some((open, at)) = self.depth.last() {
            return Err(at.error(format!("`{open}` is never closed")));
        }
        let end = self.pos();
        if !matches!(self.out.last(), None | Some((Tok::Newline, _))) {
            self.push(Tok::Newline, end);
        }
        self.push(Tok::End, end);
        Ok(())
    }

    fn single(&mut self, tok: Tok, pos: Pos) {
        self.bump();
        self.push(tok, pos);
    }

    /// Only a blank or comment line may be indented at the top level.
    fn skip_indentation(&mut self) -> Result<(), Error> {
        while matches!(self.peek(0), Some(' ' | '\t' | '\x0c')) {
            self.bump();
        }
        match self.peek(0) {
            None | Some('\n' | '#' | '\r') => Ok(()),
            Some(_) => Err(self.pos().error("unexpected indentation")),
        }
    }

    fn number(&mut self, pos: Pos) -> Result<(), Error> {
        let mut digits = String::new();
        while let Some(c) = self.peek(0) {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                digits.push(c);
                self.bump();
            } else {
                break;
            }
        }
        if digits.contains('.') || (digits.contains(['e', 'E']) && !digits.starts_with("0x")) {
            return Err(pos.error("only whole numbers are supported"));
        }
        let plain = digits.replace('_', "");
        let leading_zero = plain.len() > 1 && plain.starts_with('0');
        if leading_zero || !plain.bytes().all(|b| b.is_ascii_digit()) || digits.ends_with('_') {
            return Err(pos.error(format!("`{digits}` is not a decimal whole number")));
        }
        let value = plain
            .parse::<i64>()
            .map_err(|_| pos.error(format!("`{digits}` is too large")))?;
        self.push(Tok::Int(value), pos);
        Ok(())
    }

    fn name(&mut self, pos: Pos) -> Result<(), Error> {
        let mut name = String::new();
        while let Some(c) = self.peek(0) {
            if c == '_' || c.is_alphanumeric() {
                name.push(c);
                self.bump();
            } else {
                break;
            }
        }
        let quote_follows = matches!(self.peek(0), Some('\'' | '"'));
        let prefix = name.to_ascii_lowercase();
        let is_prefix = matches!(
            prefix.as_str(),
            "r" | "u" | "f" | "b" | "rb" | "br" | "fr" | "rf"
        );
        if quote_follows && is_prefix {
            if prefix.contains('f') {
                return Err(pos.error("f-strings are not supported: the file is read, never run"));
            }
            if prefix.contains('b') {
                return Err(pos.error("bytes literals are not supported: write a plain string"));
            }
            let value = self.string(pos, &prefix)?;
            self.push(Tok::Str(value), pos);
        } else {
            self.push(Tok::Name(name), pos);
        }
        Ok(())
    }

    /// A string literal starting at the quote; `prefix` is lower-case (`r`, `u` or empty).
    fn string(&mut self, pos: Pos, prefix: &str) -> Result<String, Error> {
        let raw = prefix == "r";
        let Some(quote) = self.bump() else {
            return Err(pos.error("unterminated string"));
        };
        let triple = self.peek(0) == Some(quote) && self.peek(1) == Some(quote);
        if triple {
            self.bump();
            self.bump();
        }
        let mut value = String::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(pos.error("unterminated string"));
            };
            match c {
                c if c == quote => {
                    if !triple {
                        return Ok(value);
                    }
                    if self.peek(0) == Some(quote) && self.peek(1) == Some(quote) {
                        self.bump();
                        self.bump();
                        return Ok(value);
                    }
                    value.push(c);
                }
                '\n' if !triple => return Err(pos.error("unterminated string")),
                '\\' if raw => {
                    value.push('\\');
                    // In a raw string a backslash still keeps the next quote from ending it.
                    match self.bump() {
                        Some(next) => value.push(next),
                        None => return Err(pos.error("unterminated string")),
                    }
                }
                '\\' => self.escape(&mut value, pos)?,
                c => value.push(c),
            }
        }
    }

    fn escape(&mut self, value: &mut String, string_pos: Pos) -> Result<(), Error> {
        let pos = Pos {
            line: self.line,
            column: self.column - 1,
        };
        let Some(c) = self.bump() else {
            return Err(string_pos.error("unterminated string"));
        };
        let simple = match c {
            '\n' => Some(None),
            '\\' => Some(Some('\\')),
            '\'' => Some(Some('\'')),
            '"' => Some(Some('"')),
            'a' => Some(Some('\x07')),
            'b' => Some(Some('\x08')),
            'f' => Some(Some('\x0c')),
            'n' => Some(Some('\n')),
            'r' => Some(Some('\r')),
            't' => Some(Some('\t')),
            'v' => Some(Some('\x0b')),
            _ => None,
        };
        if let Some(simple) = simple {
            value.extend(simple);
            return Ok(());
        }
        let code = match c {
            '0'..='7' => {
                let mut digits = String::from(c);
                while digits.len() < 3 && self.peek(0).is_some_and(|d| ('0'..='7').contains(&d)) {
                    digits.extend(self.bump());
                }
                u32::from_str_radix(&digits, 8).ok()
            }
            'x' | 'u' | 'U' => {
                let width = match c {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut digits = String::new();
                for _ in 0..width {
                    match self.peek(0) {
                        Some(d) if d.is_ascii_hexdigit() => digits.extend(self.bump()),
                        _ => {
                            return Err(
                                pos.error(format!("`\\{c}` needs {width} hexadecimal digits"))
                            )
                        }
                    }
                }
                u32::from_str_radix(&digits, 16).ok()
            }
            'N' => {
                return Err(
                    pos.error("`\\N{...}` escapes are not supported: write the character itself")
                )
            }
            other => {
                // Python keeps an unknown escape as written.
                value.push('\\');
                value.push(other);
                return Ok(());
            }
        };
        match code.and_then(char::from_u32) {
            Some(ch) => {
                value.push(ch);
                Ok(())
            }
            None => Err(pos.error("the escape is not a valid character")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(source: &str) -> Vec<String> {
        tokens(source)
            .unwrap()
            .into_iter()
            .filter_map(|(t, _)| match t {
                Tok::Str(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn string_escapes_follow_python() {
        assert_eq!(
            strings(r#"x = 'a\'b' "c\"d" '\\' '\n\t' '\x41\u00e9\U0001F600' '\101' '\d'"#),
            ["a'b", "c\"d", "\\", "\n\t", "Aé😀", "A", "\\d"]
        );
    }

    #[test]
    fn raw_and_triple_quoted_strings_keep_their_text() {
        assert_eq!(strings(r"x = r'a\nb' R'\''"), ["a\\nb", "\\'"]);
        assert_eq!(
            strings("x = '''one\n'two'\n''' \"\"\"a\"b\"\"\""),
            ["one\n'two'\n", "a\"b"]
        );
        assert_eq!(strings("x = 'a\\\nb'"), ["ab"]);
    }

    #[test]
    fn newlines_inside_brackets_do_not_end_the_line() {
        let toks: Vec<Tok> = tokens("x = [\n 1,\n 2]\ny = 3\n")
            .unwrap()
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        let newlines = toks.iter().filter(|t| **t == Tok::Newline).count();
        assert_eq!(newlines, 2);
    }

    #[test]
    fn positions_count_characters_from_one() {
        let toks = tokens("# é\nabc = 'é'  ;x").unwrap();
        let pos: Vec<(usize, usize)> = toks.iter().map(|(_, p)| (p.line, p.column)).collect();
        assert_eq!(pos[..4], [(2, 1), (2, 5), (2, 7), (2, 12)]);
    }

    #[test]
    fn unterminated_strings_point_at_their_start() {
        let error = tokens("x = 1\ny = 'abc\n").unwrap_err();
        assert_eq!((error.line, error.column), (2, 5));
        assert!(error.message.contains("unterminated string"));
        assert!(tokens("x = '''abc").is_err());
    }

    #[test]
    fn floats_and_odd_numbers_are_refused() {
        assert!(tokens("x = 1.5").is_err());
        assert!(tokens("x = 1e3").is_err());
        assert!(tokens("x = 0x10").is_err());
        assert_eq!(tokens("x = 1_000").unwrap()[2].0, Tok::Int(1000));
    }
}
