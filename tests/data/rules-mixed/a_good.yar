rule Mixed_A { strings: $a = "mixed-a" condition: $a }
