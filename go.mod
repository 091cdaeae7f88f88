module github.com/linkwatch/linkwatch

go 1.26.8
