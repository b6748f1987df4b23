//! A small YAML node tree with 1-based line and column on every node, built from
//! `saphyr-parser` events. Rejects what the scenario language does not need (anchors,
//! aliases, several documents, non-scalar keys, duplicate keys) with diagnostics.

use saphyr_parser::{Event, Parser, ScalarStyle};

/// One YAML node and where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Scalar { value: String, plain: bool },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A problem found while reading the YAML itself: line, column (1-based), message, help.
#[derive(Debug, Clone)]
pub(crate) struct YamlProblem {
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub help: Option<String>,
}

impl Node {
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { value, plain: true } if value.is_empty() || value == "~" || value == "null")
    }

    /// "a string", "a list", "a mapping" or "nothing", for "expected …, found …" messages.
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            _ if self.is_null() => "nothing",
            NodeKind::Scalar { .. } => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } if !self.is_null() => Some(value),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The key node for `key` when this is a mapping.
    pub fn key(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, _)| k)
    }

    /// The node as JSON: plain scalars are typed (null, booleans, numbers), quoted ones are strings.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Scalar { value, plain } => {
                if !plain {
                    return Value::String(value.clone());
                }
                match value.as_str() {
                    "" | "~" | "null" | "Null" | "NULL" => Value::Null,
                    "true" | "True" | "TRUE" => Value::Bool(true),
                    "false" | "False" | "FALSE" => Value::Bool(false),
                    s => {
                        if let Ok(i) = s.parse::<i64>() {
                            Value::from(i)
                        } else if let Some(n) = s
                            .parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite())
                            .and_then(serde_json::Number::from_f64)
                        {
                            Value::Number(n)
                        } else {
                            Value::String(s.to_string())
                        }
                    }
                }
            }
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

enum Frame {
    Seq(Node, Vec<Node>),
    /// The mapping, its entries so far, and a key waiting for its value.
    Map(Node, Vec<(Node, Node)>, Option<Node>),
}

/// Builds the tree from parser events, one at a time.
struct Builder<'p> {
    stack: Vec<Frame>,
    root: Option<Node>,
    documents: usize,
    problems: &'p mut Vec<YamlProblem>,
}

/// The key of an entry whose value is dropped (a duplicate key's).
fn dropped() -> Node {
    Node {
        kind: NodeKind::Scalar {
            value: String::new(),
            plain: false,
        },
        line: 0,
        col: 0,
    }
}

/// Parses one YAML document. `None` is an empty file, or one whose syntax error is in
/// `problems`. Problems that still leave a usable tree (anchors, duplicate keys) are
/// pushed to `problems` alongside the tree.
pub(crate) fn parse(source: &str, problems: &mut Vec<YamlProblem>) -> Option<Node> {
    let mut b = Builder {
        stack: Vec::new(),
        root: None,
        documents: 0,
        problems,
    };
    for event in Parser::new_from_str(source) {
        let (event, span) = match event {
            Ok(e) => e,
            Err(err) => {
                b.problem(
                    err.marker().line().max(1),
                    err.marker().col() + 1,
                    format!("invalid YAML: {}", err.info()),
                    None,
                );
                return None;
            }
        };
        let (line, col) = (span.start.line().max(1), span.start.col() + 1);
        if !b.event(event, line, col) {
            break;
        }
    }
    b.root
}

impl Builder<'_> {
    fn problem(&mut self, line: usize, col: usize, message: String, help: Option<String>) {
        self.problems.push(YamlProblem {
            line,
            col,
            message,
            help,
        });
    }

    fn anchored(&mut self, id: usize, line: usize, col: usize) {
        if id > 0 {
            let help = "repeat the value, or put shared steps in a flow (`use:`)";
            let msg = "anchors (`&name`) are not supported".into();
            self.problem(line, col, msg, Some(help.into()));
        }
    }

    /// Takes one event; `false` when the rest of the input is to be ignored.
    fn event(&mut self, event: Event, line: usize, col: usize) -> bool {
        let at = |kind| Node { kind, line, col };
        let node = match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    let msg = "a scenario file holds one YAML document".into();
                    let help = "remove the `---` and what follows, or move it to its own file";
                    self.problem(line, col, msg, Some(help.into()));
                    return false;
                }
                return true;
            }
            Event::Scalar(value, style, anchor, _) => {
                self.anchored(anchor, line, col);
                at(NodeKind::Scalar {
                    value: value.into_owned(),
                    plain: style == ScalarStyle::Plain,
                })
            }
            Event::Alias(_) => {
                let help = "repeat the value, or put shared steps in a flow (`use:`)";
                let msg = "aliases (`*name`) are not supported".into();
                self.problem(line, col, msg, Some(help.into()));
                at(NodeKind::Scalar {
                    value: String::new(),
                    plain: true,
                })
            }
            Event::SequenceStart(anchor, _) => {
                self.anchored(anchor, line, col);
                let frame = Frame::Seq(at(NodeKind::Seq(Vec::new())), Vec::new());
                self.stack.push(frame);
                return true;
            }
            Event::MappingStart(anchor, _) => {
                self.anchored(anchor, line, col);
                let frame = Frame::Map(at(NodeKind::Map(Vec::new())), Vec::new(), None);
                self.stack.push(frame);
                return true;
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq(mut n, items)) => {
                    n.kind = NodeKind::Seq(items);
                    n
                }
                Some(Frame::Map(mut n, entries, _)) => {
                    n.kind = NodeKind::Map(entries);
                    n
                }
                None => return true,
            },
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                return true
            }
        };
        self.attach(node);
        true
    }

    /// Attaches a finished node to its parent: an item, a key, or a key's value.
    fn attach(&mut self, node: Node) {
        let key = match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                return;
            }
            Some(Frame::Seq(_, items)) => {
                items.push(node);
                return;
            }
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                Some(key) => {
                    if key.line != 0 {
                        entries.push((key, node));
                    }
                    return;
                }
                None => node,
            },
        };
        let pending = self.check_key(key);
        if let Some(Frame::Map(_, _, slot)) = self.stack.last_mut() {
            *slot = Some(pending);
        }
    }

    /// A new key: reported when it is not a scalar or repeats an earlier key (then its
    /// value is dropped and the first kept).
    fn check_key(&mut self, key: Node) -> Node {
        if key.as_str().is_none() && !key.is_null() {
            let msg = format!("a key must be a plain word, found {}", key.describe());
            self.problem(key.line, key.col, msg, None);
            return key;
        }
        let Some(Frame::Map(_, entries, _)) = self.stack.last() else {
            return key;
        };
        let Some(first) = entries
            .iter()
            .map(|(k, _)| k)
            .find(|k| k.as_str() == key.as_str())
        else {
            return key;
        };
        let help = Some(format!("first defined at line {}", first.line));
        let msg = format!("duplicate key `{}`", key.as_str().unwrap_or_default());
        self.problem(key.line, key.col, msg, help);
        dropped()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(src: &str) -> (Option<Node>, Vec<YamlProblem>) {
        let mut p = Vec::new();
        let n = parse(src, &mut p);
        (n, p)
    }

    #[test]
    fn nodes_know_their_line_and_column() {
        let (n, p) = tree("name: x\nsteps:\n  - name: a\n    do:\n      - clik: { testid: m }\n");
        assert!(p.is_empty(), "{p:?}");
        let n = n.unwrap();
        let steps = n.get("steps").unwrap();
        assert_eq!((steps.line, steps.col), (3, 3));
        let step = &steps.as_seq().unwrap()[0];
        let action = &step.get("do").unwrap().as_seq().unwrap()[0];
        let (k, v) = &action.as_map().unwrap()[0];
        assert_eq!((k.line, k.col), (5, 9));
        assert_eq!(k.as_str(), Some("clik"));
        assert_eq!(v.get("testid").unwrap().as_str(), Some("m"));
        let tid = v.get("testid").unwrap();
        assert_eq!((tid.line, tid.col), (5, 25));
    }

    #[test]
    fn duplicate_keys_are_reported_and_the_first_kept() {
        let (n, p) = tree("a: 1\nb: 2\na: 3\n");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].message, "duplicate key `a`");
        assert_eq!((p[0].line, p[0].col), (3, 1));
        assert_eq!(n.unwrap().get("a").unwrap().as_str(), Some("1"));
    }

    #[test]
    fn syntax_errors_give_one_problem_at_the_mark() {
        let (n, p) = tree("a: [1, 2\nb: 3\n");
        assert!(n.is_none());
        assert_eq!(p.len(), 1);
        assert!(p[0].message.starts_with("invalid YAML"), "{}", p[0].message);
    }

    #[test]
    fn anchors_and_aliases_are_rejected() {
        let (_, p) = tree("a: &x 1\nb: *x\n");
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].message.contains("anchors"));
        assert!(p[1].message.contains("aliases"));
    }

    #[test]
    fn json_conversion_types_plain_scalars_only() {
        let (n, _) = tree("a: 3\nb: \"3\"\nc: true\nd: ~\ne: [x, 1.5]\n");
        assert_eq!(
            n.unwrap().to_json(),
            serde_json::json!({"a": 3, "b": "3", "c": true, "d": null, "e": ["x", 1.5]})
        );
    }

    #[test]
    fn empty_input_is_none_without_problems() {
        let (n, p) = tree("");
        assert!(n.is_none() && p.is_empty());
        let (n, p) = tree("# only a comment\n");
        assert!(n.is_none() && p.is_empty());
    }
}
