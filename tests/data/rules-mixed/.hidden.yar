// Dot files are ignored by the directory walk.
rule Hidden_Rule { condition: true }
