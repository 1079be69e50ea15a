"""Commands: rendering lives in cvquiz.render, logic in the core modules."""
