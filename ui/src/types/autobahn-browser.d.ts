// autobahn-browser ships a prebuilt UMD bundle without types.
declare module 'autobahn-browser' {
  const autobahn: any;
  export default autobahn;
}
