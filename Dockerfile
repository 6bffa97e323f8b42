# One image holds every edfleet binary; compose and Helm pick the binary per service.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/setup scripts/setup
RUN apt-get update && apt-get install -y --no-install-recommends sudo && bash scripts/setup
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      librdkafka++1 libgrpc++1.51 libprotobuf32 libpqxx-6.4 libprometheus-cpp-core1.0 \
      libprometheus-cpp-pull1.0 libcpp-httplib0.11 libyaml-cpp0.7 libcurl4 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/ /usr/local/bin/
USER 65532:65532
