// Step script of the `geofence` job (keyed by vehicle): which fences each vehicle is inside, and an
// alarm whenever that changes. The fences live in KV (`fences`, written by the `fences` route
// script), so users redraw them at any time; this rule itself is swapped by uploading a version.
// Runs inside the flowgate sandbox: `flowgate` (kv, state) and `RouteError` are its globals.

/** Ray casting: whether (lat, lon) lies inside the polygon of [lat, lon] corners. */
function contains(polygon, lat, lon) {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [latI, lonI] = polygon[i];
    const [latJ, lonJ] = polygon[j];
    if (lonI > lon !== lonJ > lon && lat < ((latJ - latI) * (lon - lonI)) / (lonJ - lonI) + latI) inside = !inside;
  }
  return inside;
}

export default async function geofenceRules(position, ctx) {
  const { lat, lon, ts } = position ?? {};
  if (typeof lat !== 'number' || typeof lon !== 'number') throw new RouteError('bad-position', 'a position needs numeric lat and lon');
  const vehicle = position.vehicle ?? ctx.key;
  const fences = JSON.parse((await flowgate.kv.get('fences')) ?? '[]');
  const before = (await flowgate.state.get('inside')) ?? [];
  const now = fences.filter((fence) => contains(fence.polygon, lat, lon)).map((fence) => fence.id);
  // A fence that was deleted is forgotten silently: the vehicle did not leave it.
  const existing = new Set(fences.map((fence) => fence.id));
  const alarms = [
    ...now.filter((id) => !before.includes(id)).map((fence) => ({ vehicle, fence, type: 'enter', ts })),
    ...before.filter((id) => existing.has(id) && !now.includes(id)).map((fence) => ({ vehicle, fence, type: 'leave', ts })),
  ];
  if (now.length === 0) {
    if (before.length > 0) await flowgate.state.delete('inside');
  } else if (now.length !== before.length || now.some((id) => !before.includes(id))) {
    await flowgate.state.put('inside', now);
  }
  return alarms;
}
