module github.com/loquat-dev/loquat

go 1.26
