// Builds manifesto/data/europe_map.json, the map of Europe on the coordinators' dashboard.
//
// Country shapes: Natural Earth 1:50m, as TopoJSON in the npm package world-atlas (the version
// pinned in package-lock.json). They are decoded with topojson-client, projected with d3-geo
// (simplified by topojson-simplify, then a Lambert azimuthal equal-area centred on 10°E 52°N, so areas compare fairly), clipped to the
// frame, and written as SVG path data rounded to whole units. The app reads the result; it never
// needs Node. Rebuild after changing a version: npm ci && npm run build:map
import { readFileSync, writeFileSync } from "node:fs";
import { geoAzimuthalEqualArea, geoPath } from "d3-geo";
import { feature } from "topojson-client";
import { presimplify, quantile, simplify, sphericalTriangleArea } from "topojson-simplify";

const WIDTH = 800;
const HEIGHT = 640;
const FRAME = {  // what must fit: from Iceland and the Canaries to the Urals' foot, Malta and Crete to the North Cape
  type: "Feature",
  geometry: { type: "MultiPoint", coordinates: [[-24, 64], [-16, 35], [14, 34.5], [42, 36], [40, 66], [25, 71.5]] },
};

const pkg = JSON.parse(readFileSync("node_modules/world-atlas/package.json", "utf8"));
const topology = JSON.parse(readFileSync("node_modules/world-atlas/countries-50m.json", "utf8"));
// Visvalingam simplification keeps the shapes recognisable at this size and the page light:
// points whose triangle is smaller than this quantile of all the triangles' areas are dropped.
const QUANTILE = 0.2;
const presimplified = presimplify(topology, sphericalTriangleArea);
const simplified = simplify(presimplified, quantile(presimplified, QUANTILE));
const countries = feature(simplified, simplified.objects.countries).features;
const full = feature(topology, topology.objects.countries).features;

const projection = geoAzimuthalEqualArea()
  .rotate([-10, -52])
  .fitExtent([[4, 4], [WIDTH - 4, HEIGHT - 4]], FRAME)
  .clipExtent([[0, 0], [WIDTH, HEIGHT]]);
const path = geoPath(projection).digits(0);

const out = [];
// Microstates (Malta, San Marino, ...) vanish at this scale: each country also gets its
// centroid and area from the full-detail shape, so the app can draw a dot for the small ones.
countries.forEach((country, i) => {
  const exact = full[i];
  if (!path(exact)) return;  // entirely outside the frame
  const [x, y] = path.centroid(exact);
  if (!(x >= 0 && x <= WIDTH && y >= 0 && y <= HEIGHT)) return;  // only a sliver in the frame
  const d = path(country) || "";
  out.push({
    id: country.id ?? null,
    name: country.properties.name,
    d,
    centroid: [Math.round(x), Math.round(y)],
    area: Math.round(path.area(exact)),
    whole: path.bounds(exact).flat().every((v, k) => v > 1 && v < (k % 2 ? HEIGHT : WIDTH) - 1),
  });
});
out.sort((a, b) => a.name.localeCompare(b.name));

writeFileSync(
  "manifesto/data/europe_map.json",
  JSON.stringify({
    source: `world-atlas ${pkg.version}, countries-50m.json (Natural Earth 1:50m, public domain)`,
    projection: "Lambert azimuthal equal-area, centred on 10°E 52°N",
    width: WIDTH,
    height: HEIGHT,
    countries: out,
  }) + "\n",
);
console.log(`${out.length} countries written to manifesto/data/europe_map.json`);
