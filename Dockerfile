# Loquat in one static binary (pure-Go SQLite: no cgo).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/loquat ./cmd/loquat

FROM alpine:3.22
RUN adduser -D -u 10001 loquat && mkdir /data && chown loquat /data
COPY --from=build /out/loquat /usr/local/bin/loquat
USER loquat
VOLUME /data
ENV LOQUAT_DATA_DIR=/data
EXPOSE 8080
ENTRYPOINT ["loquat"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
