//! Placeholder: the analyzer of this ecosystem is being written.

use super::{Diagnostic, Finding, Folder};

pub fn analyze(_folder: &Folder, _diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    None
}
