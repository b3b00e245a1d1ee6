// Same file name and rule name as ../two/same.yar: each file gets its own
// namespace, so both load.
rule Same_Name { strings: $a = "same-one" condition: $a }
