# extract-example.awk - prints the C program in the EXAMPLES section of an
# mdoc page: its literal displays, with the escapes mdoc needs undone.
/^\.Sh / { inex = ($0 == ".Sh EXAMPLES"); next }
inex && /^\.Bd -literal/ { lit = 1; next }
lit && /^\.Ed/ { lit = 0; next }
lit {
	gsub(/\\e/, "\\")
	gsub(/\\-/, "-")
	gsub(/\\&/, "")
	print
}
