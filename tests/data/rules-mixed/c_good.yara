rule Mixed_C { condition: filesize == 1234567 }
