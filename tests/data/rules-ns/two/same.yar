rule Same_Name { strings: $a = "same-two" condition: $a }
