"""Question banks: the records, the schema and safe YAML loading, the library of banks, finding questions."""
