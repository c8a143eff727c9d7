# The controller image the Deployment in manifests/controller runs. Not built
# in this repository's CI (no container registry or Docker daemon there); the
# local federation runs the same code as a host process instead.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -p . && npm prune --omit=dev

FROM node:20-bookworm-slim
# No extra packages: webhook certificates are issued in memory (pki/x509.ts),
# and nsenter (util-linux) is in the base image.
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY --from=build /src/package.json ./
# `fedfeat agent` applies the FeatureConfig and ClusterFeatureStatus CRDs on its member from these.
COPY --from=build /src/manifests/crds ./manifests/crds
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/fedfeat.js"]
