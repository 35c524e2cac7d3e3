module github.com/porter-http/porter/bench

go 1.26

require (
	github.com/porter-http/porter v0.0.0
	github.com/valyala/fasthttp v1.69.0
)

require (
	github.com/andybalholm/brotli v1.2.0 // indirect
	github.com/klauspost/compress v1.18.2 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
)

// The portergo peer is this repository's engine.
replace github.com/porter-http/porter => ../
