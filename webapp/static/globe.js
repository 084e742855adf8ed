// The globe: Natural Earth's countries (world-atlas, 1:110m) in an orthographic
// projection (d3-geo), drawn as SVG paths, spun by dragging with a gentle inertia.
// Each frame is timed with the User Timing API ("globe-frame"; the first draw also
// leaves a "globe-drawn" mark), so the benchmark reads what the page really did.

const { geoOrthographic, geoPath, geoGraticule, geoCentroid, geoDistance } = window.d3;
const SVG = "http://www.w3.org/2000/svg";
const DEGREES_PER_PIXEL = 0.25;
const FRICTION = 0.92; // velocity kept per frame after the finger lets go
const TAP_SLOP = 6; // pixels a tap may move and still be a tap
const MAX_FRAME_MEASURES = 500;

export class Globe {
  constructor(svg, topology, { onTap }) {
    this.svg = svg;
    this.onTap = onTap;
    this.features = window.topojson.feature(topology, topology.objects.countries).features
      .filter((feature) => feature.id);
    this.byId = new Map(this.features.map((feature) => [feature.id, feature]));
    this.projection = geoOrthographic().precision(1).clipAngle(90).rotate([-10, -20]);
    this.path = geoPath(this.projection).digits(1);
    this.sphere = this.#element("path", { class: "sphere" });
    this.graticule = this.#element("path", { class: "graticule" });
    // Every 20 degrees, sampled every 5: a quarter of d3's 10-degree default's points.
    this.graticuleLines = geoGraticule().step([20, 20]).precision(5)();
    this.paths = this.features.map((feature) => {
      const path = this.#element("path", { class: "country", "data-id": feature.id });
      path.feature = feature;
      path.reach = reach(feature);
      return path;
    });
    this.velocity = [0, 0];
    this.#listen();
    new ResizeObserver(() => this.resize()).observe(svg);
    this.resize();
    performance.mark("globe-drawn");
  }

  #element(name, attributes) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    this.svg.append(element);
    return element;
  }

  resize() {
    const { width, height } = this.svg.getBoundingClientRect();
    const size = Math.max(Math.min(width, height), 100);
    this.svg.setAttribute("viewBox", `0 0 ${width || size} ${height || size}`);
    this.projection.scale(size / 2 - 4).translate([(width || size) / 2, (height || size) / 2]);
    this.draw();
  }

  draw() {
    const started = performance.now();
    this.sphere.setAttribute("d", this.path({ type: "Sphere" }));
    this.graticule.setAttribute("d", this.path(this.graticuleLines));
    const [lambda, phi] = this.projection.rotate();
    const facing = [-lambda, -phi];
    for (const element of this.paths) {
      // A country wholly on the far side is not projected at all: about half the work.
      const away = geoDistance(facing, element.reach.center) > Math.PI / 2 + element.reach.radius;
      const d = away ? "" : this.path(element.feature) || "";
      if (element.drawn !== d) element.setAttribute("d", d);
      element.drawn = d;
    }
    performance.measure("globe-frame", { start: started, end: performance.now() });
    if (performance.getEntriesByName("globe-frame").length > MAX_FRAME_MEASURES) {
      performance.clearMeasures("globe-frame");
    }
  }

  // Classes say what a country is: covered (has outlets), mine (subscribed), selected.
  mark(id, name, on) {
    const element = this.svg.querySelector(`path.country[data-id="${CSS.escape(id)}"]`);
    element?.classList.toggle(name, on);
  }

  rotateBy(dx, dy) {
    const [lambda, phi] = this.projection.rotate();
    const tilt = Math.max(-90, Math.min(90, phi - dy * DEGREES_PER_PIXEL));
    this.projection.rotate([lambda + dx * DEGREES_PER_PIXEL, tilt]);
    this.draw();
  }

  // Turns the globe so that the country with this ISO numeric id faces the reader.
  spinTo(id) {
    const feature = this.byId.get(id);
    if (!feature) return Promise.resolve(false);
    this.velocity = [0, 0];
    const [lon, lat] = geoCentroid(feature);
    const from = this.projection.rotate();
    const to = [-lon, -lat];
    to[0] = from[0] + ((((to[0] - from[0]) % 360) + 540) % 360) - 180; // the short way round
    const duration = 600;
    const start = performance.now();
    return new Promise((resolve) => {
      const step = (now) => {
        const t = Math.min(1, (now - start) / duration);
        const ease = t * (2 - t);
        this.projection.rotate([from[0] + (to[0] - from[0]) * ease,
          from[1] + (to[1] - from[1]) * ease]);
        this.draw();
        if (t < 1) requestAnimationFrame(step); else resolve(true);
      };
      requestAnimationFrame(step);
    });
  }

  #listen() {
    let last = null;
    let moved = 0;
    this.svg.addEventListener("pointerdown", (event) => {
      last = [event.clientX, event.clientY];
      moved = 0;
      this.velocity = [0, 0];
      this.svg.setPointerCapture(event.pointerId);
    });
    this.svg.addEventListener("pointermove", (event) => {
      if (!last) return;
      const dx = event.clientX - last[0];
      const dy = event.clientY - last[1];
      last = [event.clientX, event.clientY];
      moved += Math.abs(dx) + Math.abs(dy);
      if (moved > TAP_SLOP) {
        this.velocity = [dx, dy];
        this.rotateBy(dx, dy);
      }
    });
    const release = (event) => {
      if (!last) return;
      last = null;
      if (moved <= TAP_SLOP) {
        const hit = document.elementsFromPoint(event.clientX, event.clientY)
          .find((element) => element.feature);
        if (hit) this.onTap(hit.feature.id);
        return;
      }
      this.#coast();
    };
    this.svg.addEventListener("pointerup", release);
    this.svg.addEventListener("pointercancel", () => { last = null; });
  }

  #coast() {
    const step = () => {
      const [dx, dy] = this.velocity;
      if (Math.abs(dx) + Math.abs(dy) < 0.1) return;
      this.velocity = [dx * FRICTION, dy * FRICTION];
      this.rotateBy(dx, dy);
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }
}

// A country's centre and the angle (radians) from it to its farthest point.
function reach(feature) {
  const center = geoCentroid(feature);
  let radius = 0;
  const visit = (coordinates) => {
    if (typeof coordinates[0] === "number") {
      radius = Math.max(radius, geoDistance(center, coordinates));
    } else {
      coordinates.forEach(visit);
    }
  };
  visit(feature.geometry.coordinates);
  return { center, radius };
}
