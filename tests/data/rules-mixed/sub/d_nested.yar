rule Mixed_D_Nested { condition: filesize == 7654321 }
